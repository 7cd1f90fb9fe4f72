"""All SQL of the transfer API: the ``gw_transfer`` journal and the accounts it posts to."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.models import CoreAsset, CoreCustomer, GwTransfer


class ListedTransfer(NamedTuple):
    """One line of 거래내역 대사: a journal row with its account number."""

    id: int
    bank_tran_id: str
    direction: str
    tran_amt: int
    tran_dtime: str
    asset_key: str


class TransferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: AsyncSession) -> TransferRepository:
        return cls(session)

    async def transfer(self, client_id: str, bank_tran_date: str, bank_tran_id: str) -> GwTransfer | None:
        """The transfer a client made under this per-day transaction id, as committed."""
        return await self.session.scalar(
            select(GwTransfer)
            .where(
                GwTransfer.client_id == client_id,
                GwTransfer.bank_tran_date == bank_tran_date,
                GwTransfer.bank_tran_id == bank_tran_id,
            )
            .execution_options(populate_existing=True)
        )

    async def day_transfers(
        self, client_id: str, bank_tran_date: str, *, after_id: int | None, limit: int
    ) -> list[ListedTransfer]:
        """A client's transfers of one business day, by journal id after ``after_id``: one query."""
        query = (
            select(
                GwTransfer.id,
                GwTransfer.bank_tran_id,
                GwTransfer.direction,
                GwTransfer.tran_amt,
                GwTransfer.tran_dtime,
                CoreAsset.asset_key,
            )
            .join(CoreAsset, CoreAsset.id == GwTransfer.asset_id)
            .where(GwTransfer.client_id == client_id, GwTransfer.bank_tran_date == bank_tran_date)
            .order_by(GwTransfer.id)
            .limit(limit)
        )
        if after_id is not None:
            query = query.where(GwTransfer.id > after_id)
        result = await self.session.execute(query)
        return [ListedTransfer(*row) for row in result]

    async def add(self, transfer: GwTransfer) -> None:
        """Claims the transfer's key; raises ``IntegrityError`` when the key is taken."""
        self.session.add(transfer)
        await self.session.flush()

    async def account(self, account_num: str) -> CoreAsset | None:
        return await self.session.scalar(
            select(CoreAsset)
            .where(CoreAsset.asset_key == account_num)
            .execution_options(populate_existing=True)
        )

    async def account_by_id(self, asset_id: int) -> CoreAsset | None:
        return await self.session.get(CoreAsset, asset_id)

    async def balance(self, asset_id: int) -> int | None:
        return await self.session.scalar(select(CoreAsset.balance_amt).where(CoreAsset.id == asset_id))

    async def holder_name(self, customer_id: int) -> str | None:
        return await self.session.scalar(select(CoreCustomer.name).where(CoreCustomer.id == customer_id))
