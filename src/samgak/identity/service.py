"""The provider's signing keys: create, rotate with an overlap, publish (RFC 7517 JWKS).

FAPI 2.0 §5.4: ES256 (P-256) keys; a ``kid`` is never reused (it is the key's RFC 7638
thumbprint). Rotation makes a new key the signer at once and keeps the old one published for
``identity.key_overlap_hours``, so everything it signed keeps verifying until it expires.
A running provider holds its keys parsed in a :class:`KeyRing` (reading and parsing them on every
request costs more than the signature itself).
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.config import Settings
from samgak.identity.models import IdentitySigningKey
from samgak.identity.repository import IdentityRepository
from samgak.kit.crypto import Sealer, derive_key
from samgak.kit.timeutil import utcnow

ALG = "ES256"


def key_sealer(settings: Settings) -> Sealer:
    """The sealer of the provider's private keys (its own key, derived from the master secret)."""
    return Sealer(derive_key(settings.secret_key.get_secret_value(), "identity/signing-keys"))


def key_overlap(settings: Settings) -> timedelta:
    return timedelta(hours=settings.identity.key_overlap_hours)


async def rotate_signing_key(session: AsyncSession, sealer: Sealer, *, overlap: timedelta) -> str:
    """Make a new key the signer and retire the previous one after ``overlap``; the new ``kid``."""
    repo = IdentityRepository(session)
    now = utcnow()
    await repo.retire_signing_keys(now, now + overlap)
    return await _add_signing_key(repo, sealer, now)


async def _add_signing_key(repo: IdentityRepository, sealer: Sealer, now: datetime) -> str:
    key = ECKey.generate_key("P-256")
    kid = key.thumbprint()
    public = key.as_dict(private=False) | {"kid": kid, "alg": ALG, "use": "sig"}
    await repo.add_key(
        IdentitySigningKey(
            kid=kid,
            alg=ALG,
            public_jwk=json.dumps(public, sort_keys=True),
            private_jwk_sealed=sealer.seal(json.dumps(key.as_dict(private=True))),
            created_at=now,
            retired_at=None,
            expires_at=None,
        )
    )
    return kid


async def signing_key(session: AsyncSession, sealer: Sealer) -> tuple[str, ECKey]:
    """The current signer (``kid``, private key); the first one is created on demand. Nothing is
    retired then: requests that race to create it each add one, and every one stays published, so
    whatever any of them signs verifies."""
    repo = IdentityRepository(session)
    current = await repo.signing_key()
    if current is None:
        await _add_signing_key(repo, sealer, utcnow())
        current = await repo.signing_key()
        assert current is not None
    return current.kid, ECKey.import_key(json.loads(sealer.open(current.private_jwk_sealed)))


async def public_jwks(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """The JWKS the provider publishes: the signer and the retired keys still in their overlap."""
    keys = await IdentityRepository(session).published_keys(utcnow())
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


def _kid_of(token: str) -> str | None:
    head = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


class KeyRing:
    """The provider's keys, parsed, for one process: the signer and the published (verifying) set,
    each reloaded from the database every ``ttl`` seconds.

    A rotation made elsewhere (``samgak keys rotate``) reaches signing within ``ttl``; a token
    signed by a key this process has not seen yet makes it reload at once (at most once per
    ``reload_interval``, so tokens with made-up ``kid`` values cannot turn into a query each). A key retired with no
    overlap stops verifying within ``ttl``."""

    def __init__(self, sealer: Sealer, *, ttl: float = 30.0, reload_interval: float = 1.0) -> None:
        self._sealer, self._ttl, self._reload_interval = sealer, ttl, reload_interval
        self._signer: tuple[str, ECKey] | None = None
        self._signer_until = 0.0
        self._published: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._published_until = 0.0
        self._reloaded_at = 0.0

    async def signer(self, session: AsyncSession) -> tuple[str, ECKey]:
        """The current signer (``kid``, private key)."""
        now = time.monotonic()
        if self._signer is None or now >= self._signer_until:
            self._signer = await signing_key(session, self._sealer)
            self._signer_until = now + self._ttl
        return self._signer

    async def decode(self, session: AsyncSession, token: str) -> dict[str, Any]:
        """The claims of a JWT this provider signed (ES256); ``JoseError`` or ``ValueError`` when
        it does not verify with a published key. Expiry and audience are the caller's to check."""
        now = time.monotonic()
        unknown = _kid_of(token) not in self._kids and now - self._reloaded_at >= self._reload_interval
        if self._published is None or now >= self._published_until or unknown:
            jwks = await public_jwks(session)
            self._published = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
            self._kids = frozenset(str(k["kid"]) for k in jwks["keys"])
            self._published_until, self._reloaded_at = now + self._ttl, now
        claims: dict[str, Any] = jwt.decode(token, self._published, algorithms=["ES256"]).claims
        return claims
