"""Client authentication by ``private_key_jwt`` — RFC 7523 §2.2 as FAPI 2.0 §5.3.2.1 narrows it.

The only method (SP-AS-6): a client secret, ``client_secret_jwt`` or no assertion is
``invalid_client``. The assertion is signed with a key from the client's registered JWKS (never
a key the assertion carries) with PS256, ES256 or EdDSA; ``iss`` and ``sub`` are the client id;
``aud`` is the issuer **as a string** (SP-AS-8: an array, even ``[issuer]``, the token or PAR
endpoint URL are refused — the audience-injection defence); ``exp`` is in the future; ``iat``
and ``nbf`` at most 10 s ahead (SP-AS-13); ``jti`` is used once.
"""

from __future__ import annotations

import base64
import json
import time
from functools import lru_cache
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from samgak import directory
from samgak.identity.dpop import ALGORITHMS, FUTURE_LEEWAY, ReplayCache
from samgak.identity.errors import InvalidClient, TooManyRequests
from samgak.kit.ratelimit import RateLimiter

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME = 300  # seconds an assertion may live (exp - now)


def _json_segment(text: str) -> dict[str, Any]:
    value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


class RelyingParties:
    """The directory's relying parties as this process last read them, each kept ``ttl`` seconds:
    a client authenticates on PAR, token, revocation and introspection, and reading its
    registration each time costs more than checking its signature. A changed or removed
    registration reaches this process within ``ttl``; unknown client ids are never kept."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._known: dict[str, tuple[float, directory.RelyingParty]] = {}

    async def get(self, session: AsyncSession, client_id: str) -> directory.RelyingParty | None:
        now = time.monotonic()
        kept = self._known.get(client_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        party = await directory.get_relying_party(session, client_id)
        if party is None:
            self._known.pop(client_id, None)
            return None
        if len(self._known) >= 10_000:
            self._known.clear()
        self._known[client_id] = (now + self._ttl, party)
        return party


@lru_cache(maxsize=256)
def _registered_keys(jwks: str) -> KeySet:
    """A client's registered JWKS, parsed once per distinct document (a changed registration is a
    new document, so nothing stale is kept)."""
    return KeySet.import_key_set(json.loads(jwks))


async def authenticate_client(
    session: AsyncSession,
    form: dict[str, str],
    *,
    issuer: str,
    replay: ReplayCache,
    parties: RelyingParties,
    now: float | None = None,
    limiter: RateLimiter | None = None,
) -> directory.RelyingParty:
    """The relying party this request authenticates as, or :class:`InvalidClient` (or 429 past the
    client's rate, counted before any signature work)."""
    moment = time.time() if now is None else now
    if "client_secret" in form or form.get("client_assertion_type") != ASSERTION_TYPE:
        raise InvalidClient("private_key_jwt client authentication is required")
    assertion = form.get("client_assertion", "")
    try:
        head, body, _sig = assertion.split(".")
        header, claims = _json_segment(head), _json_segment(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidClient("client_assertion is not a signed JWT") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidClient(f"client_assertion must be signed with {', '.join(ALGORITHMS)}")
    client_id = claims.get("iss")
    if not isinstance(client_id, str) or claims.get("sub") != client_id:
        raise InvalidClient("iss and sub must be the client id")
    if form.get("client_id", client_id) != client_id:
        raise InvalidClient("client_id does not match the assertion")
    if limiter is not None and not limiter.allow(client_id):
        raise TooManyRequests("too many requests from this client; retry in a moment")
    party = await parties.get(session, client_id)
    if party is None:
        raise InvalidClient("unknown client")
    try:
        keys = _registered_keys(json.dumps(party.jwks, sort_keys=True))
        jws.deserialize_compact(assertion, keys, algorithms=[str(alg)])
    except (JoseError, ValueError, TypeError):
        raise InvalidClient("client_assertion signature does not verify with the registered keys") from None
    if not isinstance(claims.get("aud"), str) or claims["aud"] != issuer:
        raise InvalidClient("aud must be the issuer identifier, as a string")
    exp, iat, nbf = claims.get("exp"), claims.get("iat", 0), claims.get("nbf", 0)
    if not isinstance(exp, int) or exp <= moment or exp > moment + MAX_LIFETIME + FUTURE_LEEWAY:
        raise InvalidClient("exp is missing, past or too far ahead")
    if not isinstance(iat, int) or not isinstance(nbf, int) or max(iat, nbf) > moment + FUTURE_LEEWAY:
        raise InvalidClient("iat/nbf is in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClient("jti is required")
    if not replay.claim(f"assertion:{client_id}:{jti}", exp + FUTURE_LEEWAY, moment):
        raise InvalidClient("this client_assertion was already used")
    return party
