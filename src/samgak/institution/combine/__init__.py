"""A member's side of pseudonymized combination: data specs, the export, the key map, and the
re-identification of its own customers for an approved joint campaign (reference §6)."""

from samgak.institution.combine.agency_client import Agency, AgencyUnavailable, HttpAgency
from samgak.institution.combine.export import export, exports, hand_over, requests
from samgak.institution.combine.pages import router
from samgak.institution.combine.spec import SPECS, DataSpec, SpecError

__all__ = [
    "SPECS",
    "Agency",
    "AgencyUnavailable",
    "DataSpec",
    "HttpAgency",
    "SpecError",
    "export",
    "exports",
    "hand_over",
    "requests",
    "router",
]
