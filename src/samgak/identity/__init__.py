"""Joint authentication: the alliance's identity provider (issue #3; built step by step).

Public face so far: the provider's signing keys (rotation with an overlap, JWKS) and the RFC 9449
DPoP proof check that every DPoP-protected endpoint shares.
"""

from samgak.identity.dpop import DPoPProof, ReplayCache, access_token_hash, target_uri, verify_proof
from samgak.identity.endpoints import router
from samgak.identity.errors import IdentityError, InvalidDPoPProof, UseDPoPNonce
from samgak.identity.service import key_overlap, key_sealer, public_jwks, rotate_signing_key, signing_key

__all__ = [
    "DPoPProof",
    "IdentityError",
    "InvalidDPoPProof",
    "ReplayCache",
    "UseDPoPNonce",
    "access_token_hash",
    "key_overlap",
    "key_sealer",
    "public_jwks",
    "rotate_signing_key",
    "router",
    "signing_key",
    "target_uri",
    "verify_proof",
]
