"""All SQL of the identity module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.identity.models import (
    IdentityAccount,
    IdentityAuthorizationCode,
    IdentityChallenge,
    IdentityGrant,
    IdentityParRequest,
    IdentityPasskey,
    IdentityProofing,
    IdentitySession,
    IdentitySigningKey,
    IdentitySignRequest,
)


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_key(self, key: IdentitySigningKey) -> None:
        self.session.add(key)
        await self.session.flush()

    async def signing_key(self) -> IdentitySigningKey | None:
        """The newest key that still signs."""
        stmt = (
            select(IdentitySigningKey)
            .where(IdentitySigningKey.retired_at.is_(None))
            .order_by(IdentitySigningKey.created_at.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def published_keys(self, now: datetime) -> Sequence[IdentitySigningKey]:
        stmt = (
            select(IdentitySigningKey)
            .where(or_(IdentitySigningKey.expires_at.is_(None), IdentitySigningKey.expires_at > now))
            .order_by(IdentitySigningKey.created_at.desc())
        )
        return (await self.session.scalars(stmt)).all()

    async def retire_signing_keys(self, now: datetime, expires_at: datetime) -> None:
        await self.session.execute(
            update(IdentitySigningKey)
            .where(IdentitySigningKey.retired_at.is_(None))
            .values(retired_at=now, expires_at=expires_at)
        )

    async def add_par_request(self, request: IdentityParRequest) -> None:
        self.session.add(request)
        await self.session.flush()

    async def par_request(self, reference: str) -> IdentityParRequest | None:
        return await self.session.get(IdentityParRequest, reference)

    async def add(
        self,
        row: IdentityAccount
        | IdentityProofing
        | IdentitySession
        | IdentityGrant
        | IdentityAuthorizationCode
        | IdentityPasskey
        | IdentityChallenge
        | IdentitySignRequest,
    ) -> None:
        self.session.add(row)
        await self.session.flush()

    async def proofing(self, proofing_id: str) -> IdentityProofing | None:
        return await self.session.get(IdentityProofing, proofing_id)

    async def account(self, subject: str) -> IdentityAccount | None:
        return await self.session.get(IdentityAccount, subject)

    async def account_by_ci(self, ci_digest: str) -> IdentityAccount | None:
        return await self.session.scalar(
            select(IdentityAccount).where(IdentityAccount.ci_digest == ci_digest)
        )

    async def browser_session(self, id_digest: str) -> IdentitySession | None:
        return await self.session.get(IdentitySession, id_digest)

    async def sessions_of(self, subject: str, now: datetime) -> Sequence[IdentitySession]:
        stmt = (
            select(IdentitySession)
            .where(
                IdentitySession.subject == subject,
                IdentitySession.revoked_at.is_(None),
                IdentitySession.expires_at > now,
            )
            .order_by(IdentitySession.auth_time.desc())
        )
        return (await self.session.scalars(stmt)).all()

    async def revoke_sessions(self, subject: str, now: datetime) -> None:
        await self.session.execute(
            update(IdentitySession)
            .where(IdentitySession.subject == subject, IdentitySession.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def use_par_request(self, reference: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(IdentityParRequest)
            .where(IdentityParRequest.id == reference, IdentityParRequest.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def authorization_code(self, code_digest: str) -> IdentityAuthorizationCode | None:
        return await self.session.get(IdentityAuthorizationCode, code_digest)

    async def use_authorization_code(self, code_digest: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(IdentityAuthorizationCode)
            .where(
                IdentityAuthorizationCode.code_digest == code_digest,
                IdentityAuthorizationCode.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def grant(self, grant_id: str) -> IdentityGrant | None:
        return await self.session.get(IdentityGrant, grant_id)

    async def grant_by_refresh(self, refresh_digest: str) -> IdentityGrant | None:
        return await self.session.scalar(
            select(IdentityGrant).where(IdentityGrant.refresh_digest == refresh_digest)
        )

    async def revoke_grant(self, grant_id: str, now: datetime) -> None:
        await self.session.execute(
            update(IdentityGrant)
            .where(IdentityGrant.id == grant_id, IdentityGrant.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def use_challenge(self, challenge_id: str, purpose: str, now: datetime) -> IdentityChallenge | None:
        """The live challenge, spent by this call (single use), or None."""
        challenge = await self.session.get(IdentityChallenge, challenge_id)
        if challenge is None or challenge.purpose != purpose:
            return None
        result = await self.session.execute(
            update(IdentityChallenge)
            .where(
                IdentityChallenge.id == challenge_id,
                IdentityChallenge.used_at.is_(None),
                IdentityChallenge.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)  # no Python-side datetime comparison
        )
        return challenge if getattr(result, "rowcount", 0) else None

    async def passkeys_of(self, subject: str) -> Sequence[IdentityPasskey]:
        stmt = (
            select(IdentityPasskey)
            .where(IdentityPasskey.subject == subject)
            .order_by(IdentityPasskey.created_at)
        )
        return (await self.session.scalars(stmt)).all()

    async def passkey(self, credential_id: str) -> IdentityPasskey | None:
        return await self.session.get(IdentityPasskey, credential_id)

    async def revoke_grants_of(self, subject: str, now: datetime) -> None:
        await self.session.execute(
            update(IdentityGrant)
            .where(IdentityGrant.subject == subject, IdentityGrant.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def live_grant(self, subject: str, client_id: str) -> IdentityGrant | None:
        stmt = (
            select(IdentityGrant)
            .where(
                IdentityGrant.subject == subject,
                IdentityGrant.client_id == client_id,
                IdentityGrant.revoked_at.is_(None),
            )
            .order_by(IdentityGrant.created_at.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def live_grants_of(self, subject: str) -> Sequence[IdentityGrant]:
        stmt = (
            select(IdentityGrant)
            .where(IdentityGrant.subject == subject, IdentityGrant.revoked_at.is_(None))
            .order_by(IdentityGrant.created_at.desc())
        )
        return (await self.session.scalars(stmt)).all()

    async def sign_request(self, cert_tx_id: str) -> IdentitySignRequest | None:
        return await self.session.get(IdentitySignRequest, cert_tx_id)
