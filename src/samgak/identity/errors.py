"""Errors of the identity provider, named after the specs that define them.

::

    SamgakError
    └── IdentityError                 RFC 6749 §5.2 ``error``/``error_description`` (``invalid_request``)
        ├── InvalidClient             ``invalid_client`` (401)
        ├── UnsupportedResponseType   ``unsupported_response_type``
        ├── InvalidScope              ``invalid_scope``
        ├── TooManyRequests           429 ``temporarily_unavailable`` (rate limits)
        └── InvalidDPoPProof          RFC 9449 §7.1 ``invalid_dpop_proof`` (400)
            └── UseDPoPNonce          RFC 9449 §8 ``use_dpop_nonce`` (400, with a fresh ``DPoP-Nonce``)
"""

from __future__ import annotations

from samgak.kit.errors import SamgakError


class IdentityError(SamgakError):
    """An OAuth error: ``code`` is the RFC's ``error`` value."""

    status_code = 400
    code = "invalid_request"


class InvalidDPoPProof(IdentityError):
    code = "invalid_dpop_proof"


class UseDPoPNonce(InvalidDPoPProof):
    code = "use_dpop_nonce"

    def __init__(self, message: str, nonce: str) -> None:
        super().__init__(message)
        self.nonce = nonce


class InvalidClient(IdentityError):
    """RFC 6749 §5.2 ``invalid_client`` (401)."""

    status_code = 401
    code = "invalid_client"


class UnsupportedResponseType(IdentityError):
    code = "unsupported_response_type"


class InvalidScope(IdentityError):
    code = "invalid_scope"


class TooManyRequests(IdentityError):
    """Rate limit of a credential endpoint (429, ``Retry-After``)."""

    status_code = 429
    code = "temporarily_unavailable"
