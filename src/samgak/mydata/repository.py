"""All SQL of the MyData service."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.rawsql import RawQuery, execute_many_in
from samgak.mydata.models import (
    Base,
    MydataAccessLog,
    MydataAsset,
    MydataConsentEvent,
    MydataJob,
    MydataLink,
    MydataRecord,
    MydataRun,
    MydataSigning,
)

UNFINISHED = ("pending", "running")


class MydataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Base) -> None:
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

    async def link(self, consent_id: str) -> MydataLink | None:
        return await self.session.get(MydataLink, consent_id)

    async def links(self, consent_ids: Collection[str]) -> dict[str, MydataLink]:
        stmt = select(MydataLink).where(MydataLink.consent_id.in_(consent_ids))
        return {link.consent_id: link for link in (await self.session.scalars(stmt)).all()}

    async def hold_links(self, consent_ids: Collection[str]) -> set[str]:
        """Those of the links that exist, share-locked until the unit of work ends (PostgreSQL; on
        SQLite the unit of work is the only writer): a withdrawal waits for it."""
        if not consent_ids:
            return set()
        stmt = (
            select(MydataLink.consent_id)
            .where(MydataLink.consent_id.in_(sorted(set(consent_ids))))
            .with_for_update(read=True)
        )
        return set((await self.session.scalars(stmt)).all())

    async def assets_of_links(self, consent_ids: Collection[str]) -> dict[str, list[MydataAsset]]:
        """Consent id → the assets collected under it (what an unchanged list still holds)."""
        stmt = select(MydataAsset).where(MydataAsset.consent_id.in_(consent_ids)).order_by(MydataAsset.id)
        found: dict[str, list[MydataAsset]] = {}
        for asset in (await self.session.scalars(stmt)).all():
            found.setdefault(str(asset.consent_id), []).append(asset)
        return found

    # ------------------------------------------------------------ collection runs and jobs

    async def start_run(
        self,
        api_type: str,
        origin: str,
        at: datetime,
        *,
        consent_ids: Collection[str] | None = None,
        subject: str | None = None,
    ) -> int:
        """A run with one pending job per link — every link, one person's, or those of
        ``consent_ids`` — written by the database from ``mydata_link`` (no link is loaded here),
        in the order a run takes them: by person, then holder. Its id."""
        run = MydataRun(api_type=api_type, origin=origin, total=0, created_at=at, finished_at=None)
        await self.add(run)
        links = select(
            literal(run.id), MydataLink.consent_id, MydataLink.org_code, literal("pending"), literal(0)
        ).order_by(MydataLink.subject, MydataLink.org_code)
        if subject is not None:
            links = links.where(MydataLink.subject == subject)
        columns = ["run_id", "consent_id", "org_code", "state", "attempts"]
        if consent_ids is None:
            await self.session.execute(insert(MydataJob).from_select(columns, links))
        else:
            chosen = sorted(set(consent_ids))
            for start in range(0, len(chosen), 5000):
                part = links.where(MydataLink.consent_id.in_(chosen[start : start + 5000]))
                await self.session.execute(insert(MydataJob).from_select(columns, part))
        total = await self.session.scalar(select(func.count()).where(MydataJob.run_id == run.id))
        run.total = int(total or 0)
        return run.id

    async def run(self, run_id: int) -> MydataRun | None:
        return await self.session.get(MydataRun, run_id)

    async def open_runs(self, origin: str, api_type: str | None = None) -> Sequence[MydataRun]:
        """Runs of ``origin`` not finished yet (a collector was stopped or killed), oldest first."""
        stmt = select(MydataRun).where(MydataRun.origin == origin, MydataRun.finished_at.is_(None))
        if api_type is not None:
            stmt = stmt.where(MydataRun.api_type == api_type)
        return (await self.session.scalars(stmt.order_by(MydataRun.id))).all()

    async def claim_jobs(
        self, run_id: int, limit: int, now: datetime, lease_until: datetime, job_id: int | None = None
    ) -> list[tuple[int, str, int]]:
        """Lease up to ``limit`` jobs of the run that are pending or whose lease ran out (their
        collector died): ``(job id, consent id, attempt)``. PostgreSQL skips rows another collector is
        claiming at the same moment; SQLite has one writer."""
        claimable = select(MydataJob.id).where(
            MydataJob.run_id == run_id,
            (MydataJob.state == "pending") | ((MydataJob.state == "running") & (MydataJob.lease_until < now)),
        )
        if job_id is not None:
            claimable = claimable.where(MydataJob.id == job_id)
        claimable = claimable.order_by(MydataJob.id).limit(limit).with_for_update(skip_locked=True)
        claimed = await self.session.execute(
            update(MydataJob)
            .where(MydataJob.id.in_(claimable))
            .values(state="running", lease_until=lease_until, attempts=MydataJob.attempts + 1)
            .returning(MydataJob.id, MydataJob.consent_id, MydataJob.attempts)
            .execution_options(synchronize_session=False)
        )
        return sorted((int(i), str(c), int(n)) for i, c, n in claimed.all())

    async def job_finished(self, job_id: int) -> bool:
        """Whether the job is done or failed (or gone with its run)."""
        state = await self.session.scalar(select(MydataJob.state).where(MydataJob.id == job_id))
        return state is None or state not in UNFINISHED

    async def unfinished_jobs(self, run_id: int) -> list[int]:
        stmt = select(MydataJob.id).where(MydataJob.run_id == run_id, MydataJob.state.in_(UNFINISHED))
        return list((await self.session.scalars(stmt.order_by(MydataJob.id))).all())

    async def anyone_linked(self, subject: str | None) -> bool:
        stmt = select(MydataLink.consent_id)
        if subject is not None:
            stmt = stmt.where(MydataLink.subject == subject)
        return await self.session.scalar(stmt.limit(1)) is not None

    async def assets_by_member(self, run_id: int) -> dict[str, int]:
        """Org code → assets held under the links of the run."""
        stmt = (
            select(MydataAsset.org_code, func.count())
            .where(MydataAsset.consent_id.in_(select(MydataJob.consent_id).where(MydataJob.run_id == run_id)))
            .group_by(MydataAsset.org_code)
        )
        return {org: int(n) for org, n in (await self.session.execute(stmt)).all()}

    async def finish_jobs(self, rows: list[dict[str, Any]]) -> None:
        """``{id, state, outcome, at}`` per job: finished, its lease given back."""
        await execute_many_in(self.session, _JOB_FINISH, rows)

    async def job_counts(self, run_id: int) -> dict[tuple[str, str], int]:
        """(org code, state) → jobs of the run."""
        stmt = (
            select(MydataJob.org_code, MydataJob.state, func.count())
            .where(MydataJob.run_id == run_id)
            .group_by(MydataJob.org_code, MydataJob.state)
        )
        return {(org, state): int(n) for org, state, n in (await self.session.execute(stmt)).all()}

    async def finish_run(self, run_id: int, at: datetime) -> bool:
        """Close the run when none of its jobs is left to do; whether it is closed now."""
        left = (
            select(MydataJob.id).where(MydataJob.run_id == run_id, MydataJob.state.in_(UNFINISHED)).exists()
        )
        await self.session.execute(
            update(MydataRun)
            .where(MydataRun.id == run_id, MydataRun.finished_at.is_(None), ~left)
            .values(finished_at=at)
            .execution_options(synchronize_session=False)
        )
        run = await self.session.get(MydataRun, run_id, populate_existing=True)
        return run is not None and run.finished_at is not None

    async def drop_link(self, consent_id: str) -> None:
        await self.session.execute(delete(MydataLink).where(MydataLink.consent_id == consent_id))

    async def assets_of(self, subject: str) -> Sequence[MydataAsset]:
        stmt = select(MydataAsset).where(MydataAsset.subject == subject).order_by(MydataAsset.id)
        return (await self.session.scalars(stmt)).all()

    async def own_asset(self, subject: str, asset_id: int) -> MydataAsset | None:
        asset = await self.session.get(MydataAsset, asset_id)
        return asset if asset is not None and asset.subject == subject else None

    async def upsert_assets(self, rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
        """Insert or refresh assets (found by subject, holder and key digest) with one driver-level
        ``executemany``; (subject, org code, key digest) → asset id of every asset of the rows'
        consents."""
        if not rows:
            return {}
        await execute_many_in(self.session, _ASSET_UPSERT, rows)
        consent_ids = sorted({str(row["consent_id"]) for row in rows})
        found = await self.session.execute(
            select(MydataAsset.id, MydataAsset.subject, MydataAsset.org_code, MydataAsset.key_digest).where(
                MydataAsset.consent_id.in_(consent_ids)
            )
        )
        return {(subject, org, digest): asset_id for asset_id, subject, org, digest in found.all()}

    async def add_records(self, rows: list[dict[str, Any]]) -> None:
        """Add records in one driver-level ``executemany`` inside the unit of work; a
        ``(asset_id, dedup_key)`` already stored is skipped."""
        await execute_many_in(self.session, _RECORD_INSERT, rows)

    async def records_of(self, subject: str, since: str) -> Sequence[tuple[MydataRecord, MydataAsset]]:
        stmt = (
            select(MydataRecord, MydataAsset)
            .join(MydataAsset, MydataAsset.id == MydataRecord.asset_id)
            .where(MydataAsset.subject == subject, MydataRecord.at >= since)
            .order_by(MydataRecord.at.desc())
        )
        return [(r, a) for r, a in (await self.session.execute(stmt)).all()]

    async def asset_rows_of(self, subjects: Sequence[str]) -> Sequence[Any]:
        """The people's assets as plain rows (id, subject, org_code, kind, name, detail, consent_id)."""
        stmt = select(
            MydataAsset.id,
            MydataAsset.subject,
            MydataAsset.org_code,
            MydataAsset.kind,
            MydataAsset.name,
            MydataAsset.detail,
            MydataAsset.consent_id,
        ).where(MydataAsset.subject.in_(subjects))
        return (await self.session.execute(stmt)).all()

    async def record_rows_between(self, asset_ids: Sequence[int], since: str, until: str) -> Sequence[Any]:
        """The assets' records with ``since <= at < until`` as plain rows (asset_id, kind, amount,
        description, at)."""
        if not asset_ids:
            return []
        stmt = select(
            MydataRecord.asset_id,
            MydataRecord.kind,
            MydataRecord.amount,
            MydataRecord.description,
            MydataRecord.at,
        ).where(MydataRecord.asset_id.in_(asset_ids), MydataRecord.at >= since, MydataRecord.at < until)
        return (await self.session.execute(stmt)).all()

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

    async def access_log_of(
        self, subject: str, limit: int = 200
    ) -> Sequence[tuple[MydataAccessLog, str | None, str | None]]:
        """The newest calls made for the person, each with the asset it read (name, masked number;
        None for list APIs and assets deleted since)."""
        stmt = (
            select(MydataAccessLog, MydataAsset.name, MydataAsset.masked)
            .outerjoin(MydataAsset, MydataAsset.id == MydataAccessLog.asset_id)
            .where(MydataAccessLog.subject == subject)
            .order_by(MydataAccessLog.id.desc())
            .limit(limit)
        )
        return [(row, name, masked) for row, name, masked in (await self.session.execute(stmt)).all()]

    async def log_calls(self, rows: list[dict[str, Any]]) -> None:
        await execute_many_in(self.session, _ACCESS_LOG_INSERT, rows)

    async def store_tokens(
        self, consent_id: str, *, access_sealed: str, refresh_sealed: str | None, expires_at: datetime
    ) -> None:
        await self.session.execute(
            update(MydataLink)
            .where(MydataLink.consent_id == consent_id)
            .values(access_sealed=access_sealed, refresh_sealed=refresh_sealed, expires_at=expires_at)
        )

    async def touch_links(self, rows: list[dict[str, Any]]) -> None:
        """``{consent_id, at, list_timestamp}``: the links' collections succeeded at ``at``, their
        list APIs answered ``list_timestamp``."""
        await execute_many_in(self.session, _LINK_TOUCH, rows)


_RECORD_INSERT = RawQuery(
    "INSERT INTO mydata_record (asset_id, kind, at, amount, description, category, dedup_key, raw) "
    "VALUES (:asset_id, :kind, :at, :amount, :description, :category, :dedup_key, :raw) "
    "ON CONFLICT (asset_id, dedup_key) DO NOTHING"
)


_ASSET_UPSERT = RawQuery(
    "INSERT INTO mydata_asset (subject, org_code, kind, key_digest, key_sealed, name, masked, status, balance, "
    "detail, consent_id, first_seen, updated_at) VALUES (:subject, :org_code, :kind, :key_digest, :key_sealed, "
    ":name, :masked, :status, :balance, :detail, :consent_id, :first_seen, :updated_at) "
    "ON CONFLICT (subject, org_code, key_digest) DO UPDATE SET name = excluded.name, masked = excluded.masked, "
    "status = excluded.status, balance = excluded.balance, detail = excluded.detail, "
    "consent_id = excluded.consent_id, updated_at = excluded.updated_at"
)  # an asset found again keeps its id and first_seen
_ACCESS_LOG_INSERT = RawQuery(
    "INSERT INTO mydata_access_log (subject, org_code, api, api_type, asset_id, purpose, rsp_code, at) "
    "VALUES (:subject, :org_code, :api, :api_type, :asset_id, :purpose, :rsp_code, :at)"
)
_JOB_FINISH = RawQuery(
    "UPDATE mydata_job SET state = :state, outcome = :outcome, finished_at = :at, lease_until = NULL WHERE id = :id"
)
_LINK_TOUCH = RawQuery(
    "UPDATE mydata_link SET collected_at = :at, list_timestamp = :list_timestamp WHERE consent_id = :consent_id"
)
