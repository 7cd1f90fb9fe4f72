"""The deterministic synthetic core (default :class:`~samgak.institution.core.Core`)."""

from samgak.institution.core.synthetic.core import SyntheticCore
from samgak.institution.core.synthetic.generator import SyntheticAlliance
from samgak.institution.core.synthetic.loader import MemberKeys, seed_alliance

__all__ = ["MemberKeys", "SyntheticAlliance", "SyntheticCore", "seed_alliance"]
