"""본인확인 — carrier identity verification (the telecom member only).

Mount :data:`router` on the carrier's deployable. See :mod:`.service` for the invariants.
"""

from samgak.institution.carrier.endpoints import router

__all__ = ["router"]
