"""Access tokens of the 정보제공 APIs (MyData standard 3.1).

JWS (RFC 7515) with the recommended claims ``iss`` (our org code), ``aud`` (the receiver's
org code), ``jti``, ``exp`` and ``scope``. Only the issuer verifies them, so they are HMAC
(HS256) signed with the holder's own key. Verified tokens are cached (bounded) because every
call presents one; revocation is still checked against the grant on every call.
Refresh tokens are opaque (``sgk_rt_…``) and stored only as a digest.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from samgak.institution.errors import InvalidToken
from samgak.kit.crypto import new_secret
from samgak.kit.timeutil import utcnow

REFRESH_PREFIX = "sgk_rt_"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    jti: str
    aud: str
    scope: frozenset[str]
    exp: int


class TokenIssuer:
    def __init__(
        self,
        org_code: str,
        key: bytes,
        *,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        cache_size: int = 50_000,
    ) -> None:
        self.org_code = org_code
        self._key = OctKey.import_key(key)
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._cache: OrderedDict[str, AccessClaims] = OrderedDict()
        self._cache_size = cache_size

    def issue_access(self, *, aud: str, scope: str, now: datetime | None = None) -> tuple[str, str, datetime]:
        """A new access token: (token, jti, expiry)."""
        issued = now or utcnow()
        expires = issued + self.access_ttl
        jti = new_secret("", 24)
        claims = {
            "iss": self.org_code,
            "aud": aud,
            "jti": jti,
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "scope": scope,
        }
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, self._key), jti, expires

    @staticmethod
    def issue_refresh() -> str:
        return new_secret(REFRESH_PREFIX)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a token we issued and that has not expired; :class:`InvalidToken` otherwise."""
        claims = self._cache.get(token)
        if claims is None:
            try:
                decoded = jwt.decode(token, self._key, algorithms=["HS256"])
            except (JoseError, ValueError) as exc:
                raise InvalidToken("접근토큰이 올바르지 않습니다") from exc
            body = decoded.claims
            if body.get("iss") != self.org_code or not isinstance(body.get("exp"), int):
                raise InvalidToken("접근토큰이 올바르지 않습니다")
            claims = AccessClaims(
                jti=str(body["jti"]),
                aud=str(body.get("aud", "")),
                scope=frozenset(str(body.get("scope", "")).split()),
                exp=body["exp"],
            )
            self._cache[token] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if claims.exp <= time.time():
            raise InvalidToken("접근토큰이 만료되었습니다")
        return claims
