"""All SQL of the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.rawsql import RawQuery, execute_many_in
from samgak.ledger.models import LedgerAccount, LedgerEntry, LedgerTransfer


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: int
    currency: str
    recording: bool


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def open_account(self, code: str, kind: str, recording: bool, currency: str, at: datetime) -> int:
        await self.session.execute(
            self._insert(LedgerAccount)
            .values(
                code=code,
                kind=kind,
                recording=recording,
                currency=currency,
                balance=0,
                version=0,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["code"])
        )
        return int(await self.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code)) or 0)

    async def accounts(self, codes: Sequence[str]) -> dict[str, AccountRef]:
        rows = await self.session.execute(
            select(
                LedgerAccount.code, LedgerAccount.id, LedgerAccount.currency, LedgerAccount.recording
            ).where(LedgerAccount.code.in_(sorted(set(codes))))
        )
        return {code: AccountRef(i, currency, bool(recording)) for code, i, currency, recording in rows.all()}

    async def insert_transfer(
        self, *, key: str, digest: str, kind: str, reverses: int | None, memo: str | None, at: datetime
    ) -> int | None:
        """The new transfer's id; None when ``key`` is taken."""
        inserted = await self.session.execute(
            self._insert(LedgerTransfer)
            .values(key=key, digest=digest, kind=kind, reverses=reverses, memo=memo, created_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(LedgerTransfer.id)
        )
        found = inserted.scalar_one_or_none()
        return None if found is None else int(found)

    @property
    def posts_in_one_call(self) -> bool:
        """PostgreSQL has ``ledger_post`` (migration 0015): a posting in one round trip."""
        return bool(self.session.get_bind().dialect.name == "postgresql")

    async def post_in_one_call(
        self,
        *,
        key: str,
        digest: str,
        kind: str,
        reverses: int | None,
        memo: str | None,
        legs: Sequence[tuple[str, int, str]],
        at: datetime,
    ) -> tuple[int, str]:
        """``(transfer id, posted | replayed | key_reused)``; SQLSTATE P0002 (an unknown account)
        and P0003 (a balance row not updated) abort the unit of work."""
        driver: Any = (await (await self.session.connection()).get_raw_connection()).driver_connection
        row = await driver.fetchrow(
            "SELECT transfer_id, outcome FROM ledger_post($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            key,
            digest,
            kind,
            reverses,
            memo,
            [code for code, _, _ in legs],
            [amount for _, amount, _ in legs],
            [currency for _, _, currency in legs],
            at,
        )
        return int(row["transfer_id"]), str(row["outcome"])

    async def transfer_by_key(self, key: str) -> LedgerTransfer | None:
        return await self.session.scalar(select(LedgerTransfer).where(LedgerTransfer.key == key))

    async def keys_posted(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            stmt = select(LedgerTransfer.key).where(LedgerTransfer.key.in_(keys[start : start + 500]))
            found.update((await self.session.scalars(stmt)).all())
        return found

    async def reversal_of(self, transfer_id: int) -> LedgerTransfer | None:
        return await self.session.scalar(select(LedgerTransfer).where(LedgerTransfer.reverses == transfer_id))

    async def legs_of(self, transfer_id: int) -> list[tuple[str, int, str]]:
        rows = await self.session.execute(
            select(LedgerAccount.code, LedgerEntry.amount, LedgerEntry.currency)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerEntry.transfer_id == transfer_id)
            .order_by(LedgerEntry.id)
        )
        return [(code, int(amount), currency) for code, amount, currency in rows.all()]

    async def add_entries(self, rows: list[dict[str, Any]]) -> None:
        await execute_many_in(self.session, _ENTRY_INSERT, rows)

    async def apply(self, account_id: int, amount: int) -> int:
        """Add ``amount`` to a kept balance; the rows it touched (must be 1)."""
        changed = await self.session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == account_id, LedgerAccount.recording.is_(False))
            .values(balance=LedgerAccount.balance + amount, version=LedgerAccount.version + 1)
            .returning(LedgerAccount.id)
            .execution_options(synchronize_session=False)
        )
        return len(changed.all())

    async def balance(self, code: str) -> int:
        account = await self.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
        if account is None:
            return 0
        if not account.recording:
            return int(account.balance)
        total = await self.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account_id == account.id)
        )
        return int(total or 0)

    async def unbalanced_transfers(self) -> list[int]:
        rows = await self.session.execute(
            select(LedgerEntry.transfer_id)
            .group_by(LedgerEntry.transfer_id, LedgerEntry.currency)
            .having(func.sum(LedgerEntry.amount) != 0)
        )
        lonely = await self.session.execute(
            select(LedgerTransfer.id).where(
                ~select(LedgerEntry.id).where(LedgerEntry.transfer_id == LedgerTransfer.id).exists()
            )
        )
        return sorted({int(i) for (i,) in rows.all()} | {int(i) for (i,) in lonely.all()})

    async def mismatched_accounts(self) -> list[tuple[str, int, int, int, int]]:
        total = func.coalesce(func.sum(LedgerEntry.amount), 0)
        count = func.count(LedgerEntry.id)
        rows = await self.session.execute(
            select(LedgerAccount.code, LedgerAccount.balance, total, LedgerAccount.version, count)
            .outerjoin(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
            .where(LedgerAccount.recording.is_(False))
            .group_by(LedgerAccount.id, LedgerAccount.code, LedgerAccount.balance, LedgerAccount.version)
            .having((LedgerAccount.balance != total) | (LedgerAccount.version != count))
        )
        return [(code, int(b), int(s), int(v), int(n)) for code, b, s, v, n in rows.all()]


_ENTRY_INSERT = RawQuery(
    "INSERT INTO ledger_entry (transfer_id, account_id, amount, currency) "
    "VALUES (:transfer_id, :account_id, :amount, :currency)"
)
