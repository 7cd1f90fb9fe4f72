"""All SQL of the synthetic core: its read model rows, written in bulk."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.models import (
    Base,
    CoreAsset,
    CoreCardApproval,
    CoreCardBill,
    CoreCustomer,
    CoreDepositTransaction,
    CoreLoanTransaction,
    CoreMeta,
    CorePoint,
    CoreTelecomMonth,
    CoreTelecomPaid,
)


class SeedRepository:
    """Bulk writes of the seed, on a synchronous connection (fastest path for both databases)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def clear(self) -> None:
        for table in reversed(Base.metadata.sorted_tables):
            self.connection.execute(delete(table))

    def meta(self) -> dict[str, str]:
        return {row.key: row.value for row in self.connection.execute(select(CoreMeta.key, CoreMeta.value))}

    def write_meta(self, values: Mapping[str, str]) -> None:
        self.connection.execute(delete(CoreMeta))
        self.connection.execute(insert(CoreMeta), [{"key": k, "value": v} for k, v in values.items()])

    def write(self, customers: list[dict[str, Any]], assets: list[dict[str, Any]]) -> None:
        if customers:
            self.connection.execute(insert(CoreCustomer), customers)
        if assets:
            self.connection.execute(insert(CoreAsset), assets)


class CoreRepository:
    """Reads and writes of the synthetic core inside a request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def meta(self) -> dict[str, str]:
        rows = await self.session.execute(select(CoreMeta.key, CoreMeta.value))
        return {row.key: row.value for row in rows}

    async def customer_by_digest(self, column: str, digest: str) -> list[CoreCustomer]:
        field = getattr(CoreCustomer, column)
        return list((await self.session.scalars(select(CoreCustomer).where(field == digest))).all())

    async def customer(self, customer_id: int) -> CoreCustomer | None:
        return await self.session.get(CoreCustomer, customer_id)

    async def claim_history(self, customer_id: int) -> bool:
        """Mark the customer's history as written; False when another writer already did."""
        result = await self.session.execute(
            update(CoreCustomer)
            .where(CoreCustomer.id == customer_id, CoreCustomer.history_ready.is_(False))
            .values(history_ready=True)
        )
        return bool(getattr(result, "rowcount", 0))

    async def asset_ids(self, customer_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(CoreAsset.asset_key, CoreAsset.id).where(CoreAsset.customer_id == customer_id)
        )
        return {row.asset_key: row.id for row in rows}

    async def write_history(
        self,
        *,
        deposit_tx: Iterable[dict[str, Any]],
        loan_tx: Iterable[dict[str, Any]],
        approvals: Iterable[dict[str, Any]],
        bills: Iterable[dict[str, Any]],
        points: Iterable[dict[str, Any]],
        telecom_months: Iterable[dict[str, Any]],
        telecom_paid: Iterable[dict[str, Any]],
        balances: Mapping[int, int],
    ) -> None:
        for model, rows in (
            (CoreDepositTransaction, deposit_tx),
            (CoreLoanTransaction, loan_tx),
            (CoreCardApproval, approvals),
            (CoreCardBill, bills),
            (CorePoint, points),
            (CoreTelecomMonth, telecom_months),
            (CoreTelecomPaid, telecom_paid),
        ):
            batch = list(rows)
            if batch:
                await self.session.execute(insert(model), batch)
        for asset_id, balance in balances.items():
            await self.session.execute(
                update(CoreAsset).where(CoreAsset.id == asset_id).values(balance_amt=balance)
            )

    async def apply_to_balance(self, asset_id: int, amount: int) -> int | None:
        """Add ``amount`` to the balance unless it would go below zero; the new balance, else None."""
        result = await self.session.execute(
            update(CoreAsset)
            .where(CoreAsset.id == asset_id, CoreAsset.balance_amt + amount >= 0)
            .values(balance_amt=CoreAsset.balance_amt + amount)
            .returning(CoreAsset.balance_amt)
        )
        return result.scalar_one_or_none()

    async def next_trans_no(self, asset_id: int) -> int:
        count = await self.session.scalar(
            select(CoreDepositTransaction.id)
            .where(CoreDepositTransaction.asset_id == asset_id)
            .order_by(CoreDepositTransaction.id.desc())
            .limit(1)
        )
        return int(count or 0) + 1

    async def add_deposit_tx(self, row: dict[str, Any]) -> None:
        await self.session.execute(insert(CoreDepositTransaction), [row])


def asset_row(asset_id: int, customer_id: int, spec: Any) -> dict[str, Any]:
    return {
        "id": asset_id,
        "customer_id": customer_id,
        "kind": spec.kind,
        "asset_key": spec.asset_key,
        "seqno": spec.seqno,
        "status": spec.status,
        "sort_key": spec.sort_key,
        "detail": json.dumps(spec.detail, ensure_ascii=False, sort_keys=True),
        "balance_amt": None,
        "currency_code": spec.detail.get("currency_code"),
        "modified_at": f"{spec.opened:%Y%m%d}000000",
    }
