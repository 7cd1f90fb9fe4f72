"""All SQL of the identity module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from samgak.kit.rawsql import RawQuery, Reader
from samgak.kit.timeutil import coerce_datetime


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

    async def subjects_by_ci(self, ci_digests: list[str]) -> dict[str, str]:
        """CI digest → subject, for the digests that have an account."""
        rows = await self.session.execute(
            select(IdentityAccount.ci_digest, IdentityAccount.subject).where(
                IdentityAccount.ci_digest.in_(ci_digests)
            )
        )
        return {digest: subject for digest, subject in rows}

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
        """Mark the code used unless it already is; whether this call spent it."""
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

    async def set_refresh_digest(self, grant_id: str, refresh_digest: str) -> None:
        await self.session.execute(
            update(IdentityGrant).where(IdentityGrant.id == grant_id).values(refresh_digest=refresh_digest)
        )

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


# --------------------------------------------------------------------------- hot reads
# The code flow's reads of committed rows, one statement each on the raw driver (kit/rawsql):
# through the ORM session each would cost more than all of the flow's signatures.

_AUTHORIZE_VIEW = RawQuery(
    """
    SELECT p.client_id, p.params, p.dpop_jkt, p.expires_at, p.used_at,
           s.subject, s.acr, s.amr, s.auth_time, s.expires_at, s.revoked_at,
           (SELECT g.scope FROM identity_grant g
             WHERE g.subject = s.subject AND g.client_id = p.client_id AND g.revoked_at IS NULL
             ORDER BY g.created_at DESC LIMIT 1)
      FROM identity_par_request p
      LEFT JOIN identity_session s ON s.id_digest = :session_digest
     WHERE p.id = :reference
    """
)
_CODE_VIEW = RawQuery(
    """
    SELECT grant_id, client_id, redirect_uri, code_challenge, nonce, dpop_jkt, expires_at, used_at
      FROM identity_authorization_code
     WHERE code_digest = :code_digest
    """
)
_GRANT_VIEW = RawQuery(
    """
    SELECT g.id, g.client_id, g.subject, g.scope, g.acr, g.amr, g.auth_time, g.revoked_at,
           a.name, a.birth_date, a.phone_sealed
      FROM identity_grant g JOIN identity_account a ON a.subject = g.subject
     WHERE g.id = :grant_id
    """
)


@dataclass(frozen=True, slots=True)
class PushedView:
    """A pushed request, and the browser session and live grant that come with it."""

    id: str  # the request_uri's reference
    client_id: str
    params: str
    dpop_jkt: str | None
    expires_at: datetime | None
    used_at: datetime | None
    session: IdentitySession | None  # live or not: the caller checks
    granted_scope: str | None  # the scope of this person's newest live grant to this client


@dataclass(frozen=True, slots=True)
class CodeView:
    grant_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    dpop_jkt: str | None
    expires_at: datetime | None
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class GrantView:
    id: str
    client_id: str
    subject: str
    scope: str
    acr: str
    amr: str
    auth_time: datetime | None
    revoked_at: datetime | None
    name: str
    birth_date: str
    phone_sealed: str


class IdentityReads:
    """The hot reads, on the raw driver (committed data only)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def pushed(self, reference: str, session_digest: str) -> PushedView | None:
        rows = await self.reader.fetch(_AUTHORIZE_VIEW, reference=reference, session_digest=session_digest)
        if not rows:
            return None
        r = rows[0]
        browser = None
        if r[5] is not None:
            browser = IdentitySession(
                id_digest=session_digest,
                subject=r[5],
                acr=r[6],
                amr=r[7],
                auth_time=coerce_datetime(r[8]),
                expires_at=coerce_datetime(r[9]),
                revoked_at=coerce_datetime(r[10]),
            )
        return PushedView(
            id=reference,
            client_id=r[0],
            params=r[1],
            dpop_jkt=r[2],
            expires_at=coerce_datetime(r[3]),
            used_at=coerce_datetime(r[4]),
            session=browser,
            granted_scope=r[11],
        )

    async def code(self, code_digest: str) -> CodeView | None:
        rows = await self.reader.fetch(_CODE_VIEW, code_digest=code_digest)
        if not rows:
            return None
        r = rows[0]
        return CodeView(
            grant_id=r[0],
            client_id=r[1],
            redirect_uri=r[2],
            code_challenge=r[3],
            nonce=r[4],
            dpop_jkt=r[5],
            expires_at=coerce_datetime(r[6]),
            used_at=coerce_datetime(r[7]),
        )

    async def grant(self, grant_id: str) -> GrantView | None:
        rows = await self.reader.fetch(_GRANT_VIEW, grant_id=grant_id)
        if not rows:
            return None
        r = rows[0]
        return GrantView(
            id=r[0],
            client_id=r[1],
            subject=r[2],
            scope=r[3],
            acr=r[4],
            amr=r[5],
            auth_time=coerce_datetime(r[6]),
            revoked_at=coerce_datetime(r[7]),
            name=r[8],
            birth_date=r[9],
            phone_sealed=r[10],
        )
