"""All SQL of the transfer API: the ``gw_transfer`` journal and the accounts it posts to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.models import CoreAsset, CoreCustomer, GwTransfer


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
