"""All SQL of the MyData gateway (``gw_*`` tables) and the holder's asset look-ups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from samgak.institution.models import (
    CLOSED_STATUS,
    CoreAsset,
    CoreCustomer,
    GwAuthorization,
    GwConsent,
    GwConsentAsset,
    GwGrant,
    GwIntegratedTx,
    GwScheduledCall,
)
from samgak.kit.rawsql import RawQuery, Reader, execute_many

GRANT = RawQuery(
    """
    SELECT g.revoked_at, g.consent_id, g.customer_id, c.history_ready, co.end_date,
           co.is_consent_trans_memo, co.is_consent_merchant_name_regno
    FROM gw_grant g
    JOIN core_customer c ON c.id = g.customer_id
    LEFT JOIN gw_consent co ON co.id = g.consent_id
    WHERE g.access_jti = :jti
    """
)

GRANT_AND_ASSET = RawQuery(
    """
    SELECT g.revoked_at, g.consent_id, g.customer_id, c.history_ready, co.end_date,
           co.is_consent_trans_memo, co.is_consent_merchant_name_regno,
           a.id, a.kind, a.status, a.customer_id, a.detail, a.balance_amt, a.modified_at,
           (SELECT 1 FROM gw_consent_asset ca WHERE ca.consent_id = g.consent_id AND ca.asset_id = a.id),
           a.currency_code
    FROM gw_grant g
    JOIN core_customer c ON c.id = g.customer_id
    LEFT JOIN gw_consent co ON co.id = g.consent_id
    LEFT JOIN core_asset a ON a.asset_key = :asset_key
    WHERE g.access_jti = :jti
    """
)


API_CALL = RawQuery(
    """
    INSERT INTO gw_api_call (tran_id, client_org_code, method, api, api_type, status, called_at)
    VALUES (:tran_id, :client_org_code, :method, :api, :api_type, :status, :called_at)
    """
)


async def add_api_calls(engine: AsyncEngine, rows: Sequence[dict[str, Any]]) -> None:
    """The call log's batch insert (append-only, outside any request)."""
    await execute_many(engine, API_CALL, rows)


class AccessRepository:
    """The reads every 정보제공 call starts with: its grant, and the asset it asks for."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def grant(self, jti: str) -> Sequence[Any] | None:
        rows = await self.reader.fetch(GRANT, jti=jti)
        return rows[0] if rows else None

    async def grant_and_asset(self, jti: str, asset_key: str) -> Sequence[Any] | None:
        rows = await self.reader.fetch(GRANT_AND_ASSET, jti=jti, asset_key=asset_key)
        return rows[0] if rows else None


class GatewayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- assets of a customer
    async def assets(self, customer_id: int, kinds: Iterable[str]) -> Sequence[CoreAsset]:
        stmt = (
            select(CoreAsset)
            .where(
                CoreAsset.customer_id == customer_id,
                CoreAsset.kind.in_(list(kinds)),
                CoreAsset.status != CLOSED_STATUS,
            )
            .order_by(CoreAsset.sort_key, CoreAsset.asset_key)
        )
        return (await self.session.scalars(stmt)).all()

    async def customer(self, customer_id: int) -> CoreCustomer | None:
        return await self.session.get(CoreCustomer, customer_id)

    # --- authorization requests (개별인증-001)
    async def add_authorization(self, **values: Any) -> None:
        self.session.add(GwAuthorization(**values))
        await self.session.flush()

    async def authorization(self, authorization_id: str) -> GwAuthorization | None:
        return await self.session.get(GwAuthorization, authorization_id)

    async def authorization_by_code(self, code_digest: str) -> GwAuthorization | None:
        return await self.session.scalar(
            select(GwAuthorization).where(GwAuthorization.code_digest == code_digest)
        )

    async def mark_code_used(self, authorization_id: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(GwAuthorization)
            .where(GwAuthorization.id == authorization_id, GwAuthorization.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    # --- consents (전송요구) and grants
    async def active_consents(self, customer_id: int, client_id: str) -> Sequence[GwConsent]:
        stmt = select(GwConsent).where(
            GwConsent.customer_id == customer_id,
            GwConsent.client_id == client_id,
            GwConsent.superseded_at.is_(None),
        )
        return (await self.session.scalars(stmt)).all()

    async def add_consent(self, consent: GwConsent, asset_ids: Iterable[int]) -> GwConsent:
        self.session.add(consent)
        await self.session.flush()
        rows = [{"consent_id": consent.id, "asset_id": asset_id} for asset_id in sorted(set(asset_ids))]
        if rows:
            await self.session.execute(insert(GwConsentAsset), rows)
        return consent

    async def consent(self, consent_id: int) -> GwConsent | None:
        return await self.session.get(GwConsent, consent_id)

    async def supersede(self, consent_ids: Iterable[int], now: datetime) -> None:
        ids = list(consent_ids)
        if not ids:
            return
        await self.session.execute(update(GwConsent).where(GwConsent.id.in_(ids)).values(superseded_at=now))
        await self.session.execute(
            update(GwGrant)
            .where(GwGrant.consent_id.in_(ids), GwGrant.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def add_grant(self, grant: GwGrant) -> GwGrant:
        self.session.add(grant)
        await self.session.flush()
        return grant

    async def grant_by_refresh(self, refresh_digest: str) -> GwGrant | None:
        return await self.session.scalar(select(GwGrant).where(GwGrant.refresh_digest == refresh_digest))

    async def grant_by_jti(self, jti: str) -> GwGrant | None:
        return await self.session.scalar(select(GwGrant).where(GwGrant.access_jti == jti))

    async def rotate_access(self, grant_id: int, jti: str, expires_at: datetime) -> None:
        await self.session.execute(
            update(GwGrant).where(GwGrant.id == grant_id).values(access_jti=jti, access_expires_at=expires_at)
        )

    async def revoke_grant(self, grant_id: int, now: datetime) -> None:
        await self.session.execute(
            update(GwGrant).where(GwGrant.id == grant_id, GwGrant.revoked_at.is_(None)).values(revoked_at=now)
        )

    async def claim_integrated_tx(self, tx_id: str, now: datetime) -> bool:
        """Record a 통합인증-002 ``tx_id``; False when it was seen before."""
        try:
            async with self.session.begin_nested():
                self.session.add(GwIntegratedTx(tx_id=tx_id, created_at=now))
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def claim_scheduled_call(self, consent_id: int, api_code: str, asset_key: str, week: str) -> bool:
        """Count a scheduled call; False when this asset and API were already called this week."""
        try:
            async with self.session.begin_nested():
                self.session.add(
                    GwScheduledCall(consent_id=consent_id, api_code=api_code, asset_key=asset_key, week=week)
                )
                await self.session.flush()
        except IntegrityError:
            return False
        return True
