"""The provider's signing keys: create, rotate with an overlap, publish (RFC 7517 JWKS).

FAPI 2.0 §5.4: ES256 (P-256) keys; a ``kid`` is never reused (it is the key's RFC 7638
thumbprint). Rotation makes a new key the signer at once and keeps the old one published for
``identity.key_overlap_hours``, so everything it signed keeps verifying until it expires.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from joserfc.jwk import ECKey
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
    """The current signer (``kid``, private key); the first one is created on demand."""
    current = await IdentityRepository(session).signing_key()
    if current is None:
        await rotate_signing_key(session, sealer, overlap=timedelta(0))
        current = await IdentityRepository(session).signing_key()
        assert current is not None
    return current.kid, ECKey.import_key(json.loads(sealer.open(current.private_jwk_sealed)))


async def public_jwks(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """The JWKS the provider publishes: the signer and the retired keys still in their overlap."""
    keys = await IdentityRepository(session).published_keys(utcnow())
    return {"keys": [json.loads(k.public_jwk) for k in keys]}
