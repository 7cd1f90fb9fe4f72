"""All SQL of the MyData service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.rawsql import RawQuery
from samgak.mydata.models import (
    MydataAccessLog,
    MydataAsset,
    MydataConsentEvent,
    MydataLink,
    MydataRecord,
    MydataSigning,
)


class MydataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, row: MydataConsentEvent | MydataSigning | MydataLink | MydataAsset | MydataAccessLog
    ) -> None:
        self.session.add(row)
        await self.session.flush()

    async def signing(self, cert_tx_id: str) -> MydataSigning | None:
        return await self.session.get(MydataSigning, cert_tx_id)

    async def finish_signing(self, cert_tx_id: str, at: datetime) -> bool:
        """Mark a signing used, once; whether this call did."""
        result = await self.session.execute(
            update(MydataSigning)
            .where(MydataSigning.cert_tx_id == cert_tx_id, MydataSigning.finished_at.is_(None))
            .values(finished_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def events_of(self, subject: str) -> Sequence[MydataConsentEvent]:
        stmt = (
            select(MydataConsentEvent)
            .where(MydataConsentEvent.subject == subject)
            .order_by(MydataConsentEvent.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def links_of(self, subject: str) -> Sequence[MydataLink]:
        stmt = select(MydataLink).where(MydataLink.subject == subject).order_by(MydataLink.org_code)
        return (await self.session.scalars(stmt)).all()

    async def scheduled_links(self) -> Sequence[MydataLink]:
        stmt = select(MydataLink).where(MydataLink.cycle.is_not(None)).order_by(MydataLink.subject)
        return (await self.session.scalars(stmt)).all()

    async def links_by_member(self, subject: str | None) -> dict[str, list[str]]:
        """Org code → subjects linked there (everyone, or one person)."""
        stmt = select(MydataLink.org_code, MydataLink.subject).order_by(MydataLink.org_code)
        if subject is not None:
            stmt = stmt.where(MydataLink.subject == subject)
        found: dict[str, list[str]] = {}
        for org_code, who in (await self.session.execute(stmt)).all():
            found.setdefault(org_code, []).append(who)
        return found

    async def link(self, consent_id: str) -> MydataLink | None:
        return await self.session.get(MydataLink, consent_id)

    async def drop_link(self, consent_id: str) -> None:
        await self.session.execute(delete(MydataLink).where(MydataLink.consent_id == consent_id))

    async def assets_of(self, subject: str) -> Sequence[MydataAsset]:
        stmt = select(MydataAsset).where(MydataAsset.subject == subject).order_by(MydataAsset.id)
        return (await self.session.scalars(stmt)).all()

    async def own_asset(self, subject: str, asset_id: int) -> MydataAsset | None:
        asset = await self.session.get(MydataAsset, asset_id)
        return asset if asset is not None and asset.subject == subject else None

    async def upsert_assets(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert or refresh assets (found by subject, holder and key digest) in one statement;
        key digest → asset id."""
        if not rows:
            return {}
        statement = _ASSET_UPSERT[self.session.get_bind().dialect.name]
        found = await self.session.execute(statement, rows)
        return {digest: asset_id for asset_id, digest in found.all()}

    async def add_records(self, rows: list[dict[str, Any]]) -> None:
        """Add records in one driver-level ``executemany`` inside the unit of work; a
        ``(asset_id, dedup_key)`` already stored is skipped."""
        if not rows:
            return
        connection = await self.session.connection()
        driver: Any = (await connection.get_raw_connection()).driver_connection
        arguments = [_RECORD_INSERT.arguments(row) for row in rows]
        if connection.dialect.name == "postgresql":
            await driver.executemany(_RECORD_INSERT.postgres_sql, arguments)
        else:
            await driver.executemany(_RECORD_INSERT.sqlite_sql, arguments)

    async def records_of(self, subject: str, since: str) -> Sequence[tuple[MydataRecord, MydataAsset]]:
        stmt = (
            select(MydataRecord, MydataAsset)
            .join(MydataAsset, MydataAsset.id == MydataRecord.asset_id)
            .where(MydataAsset.subject == subject, MydataRecord.at >= since)
            .order_by(MydataRecord.at.desc())
        )
        return [(r, a) for r, a in (await self.session.execute(stmt)).all()]

    async def records_of_asset(self, asset_id: int, limit: int) -> Sequence[MydataRecord]:
        stmt = (
            select(MydataRecord)
            .where(MydataRecord.asset_id == asset_id)
            .order_by(MydataRecord.at.desc(), MydataRecord.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def forget_consent(self, consent_id: str) -> tuple[int, int]:
        """Delete the assets a consent brought and their records; (assets, records) deleted."""
        ids = select(MydataAsset.id).where(MydataAsset.consent_id == consent_id)
        records = await self.session.scalar(
            select(func.count()).select_from(MydataRecord).where(MydataRecord.asset_id.in_(ids))
        )
        await self.session.execute(delete(MydataRecord).where(MydataRecord.asset_id.in_(ids)))
        assets = await self.session.scalar(
            select(func.count()).select_from(MydataAsset).where(MydataAsset.consent_id == consent_id)
        )
        await self.session.execute(delete(MydataAsset).where(MydataAsset.consent_id == consent_id))
        return int(assets or 0), int(records or 0)

    async def access_log_of(self, subject: str, limit: int = 200) -> Sequence[MydataAccessLog]:
        stmt = (
            select(MydataAccessLog)
            .where(MydataAccessLog.subject == subject)
            .order_by(MydataAccessLog.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def log_calls(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(MydataAccessLog), rows)

    async def store_tokens(
        self, consent_id: str, *, access_sealed: str, refresh_sealed: str | None, expires_at: datetime
    ) -> None:
        await self.session.execute(
            update(MydataLink)
            .where(MydataLink.consent_id == consent_id)
            .values(access_sealed=access_sealed, refresh_sealed=refresh_sealed, expires_at=expires_at)
        )

    async def touch_link(self, consent_id: str, at: datetime) -> None:
        link = await self.link(consent_id)
        if link is not None:
            link.collected_at = at


_RECORD_INSERT = RawQuery(
    "INSERT INTO mydata_record (asset_id, kind, at, amount, description, category, dedup_key, raw) "
    "VALUES (:asset_id, :kind, :at, :amount, :description, :category, :dedup_key, :raw) "
    "ON CONFLICT (asset_id, dedup_key) DO NOTHING"
)


def _asset_upsert(dialect: Any) -> Any:
    table: Any = MydataAsset.__table__
    statement = dialect.insert(table)
    kept = ("name", "masked", "status", "balance", "detail", "consent_id", "updated_at")
    return statement.on_conflict_do_update(
        index_elements=["subject", "org_code", "key_digest"],
        set_={name: statement.excluded[name] for name in kept},
    ).returning(table.c.id, table.c.key_digest)


_ASSET_UPSERT = {"postgresql": _asset_upsert(postgresql), "sqlite": _asset_upsert(sqlite)}
