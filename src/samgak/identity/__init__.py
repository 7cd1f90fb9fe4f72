"""Joint authentication: the alliance's identity provider (issue #3; built step by step).

Public face so far: the provider's signing keys (rotation with an overlap, JWKS), pushed
authorization requests with ``private_key_jwt`` client authentication, and the RFC 9449 DPoP
proof check that every DPoP-protected endpoint shares.
"""

from samgak.identity.accounts import subjects_of
from samgak.identity.ca import router as ca_router
from samgak.identity.dpop import DPoPProof, ReplayCache, access_token_hash, target_uri, verify_proof
from samgak.identity.endpoints import identity_error_handler, router
from samgak.identity.errors import IdentityError, InvalidClient, InvalidDPoPProof, UseDPoPNonce
from samgak.identity.metadata import well_known as well_known_router
from samgak.identity.pages import router as pages_router
from samgak.identity.provider import CARRIER_SERVICE_NAME, Person, Provider, build_provider, signed_in_person
from samgak.identity.service import (
    KeyRing,
    key_overlap,
    key_sealer,
    public_jwks,
    rotate_signing_key,
    signing_key,
)
from samgak.identity.step_up import verify_receipt

__all__ = [
    "CARRIER_SERVICE_NAME",
    "DPoPProof",
    "IdentityError",
    "InvalidClient",
    "InvalidDPoPProof",
    "KeyRing",
    "Person",
    "Provider",
    "ReplayCache",
    "UseDPoPNonce",
    "access_token_hash",
    "build_provider",
    "ca_router",
    "identity_error_handler",
    "key_overlap",
    "key_sealer",
    "pages_router",
    "public_jwks",
    "rotate_signing_key",
    "router",
    "signed_in_person",
    "signing_key",
    "subjects_of",
    "target_uri",
    "verify_proof",
    "verify_receipt",
    "well_known_router",
]
