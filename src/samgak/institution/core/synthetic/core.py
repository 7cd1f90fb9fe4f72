"""The synthetic core: the default :class:`~samgak.institution.core.Core` of every member.

Customers and products are written by the seed; a customer's five years of history are
written from the same deterministic generator the first time anything reads them
(:meth:`SyntheticCore.ensure_history`). The claim on ``core_customer.history_ready`` makes that
safe under concurrency: the first transaction to flip the flag writes the rows, a concurrent
one waits on the row lock (PostgreSQL) or the write lock (SQLite) and finds it done.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.core import Identity, InsufficientFunds
from samgak.institution.core.synthetic.generator import SyntheticAlliance
from samgak.institution.core.synthetic.repository import CoreRepository
from samgak.kit.crypto import Sealer, equals, keyed_digest

ASSETS_PER_PERSON = 16


def asset_id(person_index: int, ordinal: int) -> int:
    """Asset ids are a function of the person and the product's place in their holdings."""
    return person_index * ASSETS_PER_PERSON + ordinal


class SyntheticCore:
    def __init__(self, member: str, *, digest_key: bytes, sealer: Sealer, demo_pin: str) -> None:
        self.member = member
        self.digest_key = digest_key
        self.sealer = sealer
        self.demo_pin = demo_pin
        self._generator: SyntheticAlliance | None = None

    async def _alliance(self, session: AsyncSession) -> SyntheticAlliance:
        if self._generator is None:
            meta = await CoreRepository(session).meta()
            self._generator = SyntheticAlliance(
                int(meta["seed"]), date.fromisoformat(meta["as_of"]), int(meta["history_years"])
            )
        return self._generator

    def digest(self, value: str) -> str:
        return keyed_digest(self.digest_key, value)

    async def authenticate(
        self, session: AsyncSession, *, phone: str, birth_date: str, pin: str
    ) -> int | None:
        candidates = await CoreRepository(session).customer_by_digest("phone_digest", self.digest(phone))
        for customer in candidates:
            if customer.birth_date == birth_date and equals(pin, self.demo_pin):
                return customer.id
        return None

    async def customer_by_ci(self, session: AsyncSession, ci: str) -> int | None:
        found = await CoreRepository(session).customer_by_digest("ci_digest", self.digest(ci))
        return found[0].id if found else None

    async def customer_ci(self, session: AsyncSession, customer_id: int) -> str:
        customer = await CoreRepository(session).customer(customer_id)
        assert customer is not None
        return self.sealer.open(customer.ci_sealed)

    async def identify(
        self, session: AsyncSession, *, name: str, birth_date: str, phone: str
    ) -> Identity | None:
        for customer in await CoreRepository(session).customer_by_digest("phone_digest", self.digest(phone)):
            if customer.name == name and customer.birth_date == birth_date:
                return Identity(customer.id, self.sealer.open(customer.ci_sealed), customer.name)
        return None

    async def demographics(
        self, session: AsyncSession, customer_ids: list[int]
    ) -> dict[int, tuple[str, str]]:
        alliance = await self._alliance(session)
        return {customer_id: alliance.demographics(customer_id) for customer_id in customer_ids}

    async def ensure_history(self, session: AsyncSession, customer_id: int) -> None:
        repo = CoreRepository(session)
        if not await repo.claim_history(customer_id):
            return
        alliance = await self._alliance(session)
        person = alliance.person(customer_id)
        holdings = alliance.holdings(person)
        history = alliance.history(person, self.member, holdings)
        ids = {
            spec.asset_key: asset_id(customer_id, n) for n, spec in enumerate(holdings.get(self.member, []))
        }
        tx_cols = (
            "trans_dtime",
            "trans_no",
            "trans_type",
            "trans_class",
            "trans_amt",
            "balance_amt",
            "trans_memo",
        )
        loan_cols = (
            "trans_dtime",
            "trans_no",
            "trans_type",
            "trans_amt",
            "balance_amt",
            "principal_amt",
            "int_amt",
            "int_rate",
            "int_start_date",
            "int_end_date",
        )
        await repo.write_history(
            deposit_tx=(
                {"asset_id": ids[key], **dict(zip(tx_cols, row, strict=True))}
                for key, rows in history.deposit_tx.items()
                for row in rows
            ),
            loan_tx=(
                {"asset_id": ids[key], **dict(zip(loan_cols, row, strict=True))}
                for key, rows in history.loan_tx.items()
                for row in rows
            ),
            approvals=(
                {"asset_id": ids[key], **row} for key, rows in history.card_approvals.items() for row in rows
            ),
            bills=(
                {
                    **{k: v for k, v in bill.items() if k != "details"},
                    "customer_id": customer_id,
                    "details": json.dumps(bill["details"], ensure_ascii=False),
                }
                for bill in history.card_bills
            ),
            points=(
                {
                    "customer_id": customer_id,
                    "point_name": name,
                    "remain_point_amt": remain,
                    "expiring_point_amt": expiring,
                }
                for name, remain, expiring in history.points
            ),
            telecom_months=(
                {
                    "asset_id": ids[key],
                    "month": m,
                    "charge_amt": c,
                    "charge_date": d,
                    "paid_amt": p,
                    "pay_method": pm,
                }
                for key, rows in history.telecom_months.items()
                for m, c, d, p, pm in rows
            ),
            telecom_paid=(
                {
                    "asset_id": ids[key],
                    "trans_dtime": dt,
                    "trans_amt": amt,
                    "merchant_name": mn,
                    "merchant_regno": rn,
                    "trans_title": title,
                }
                for key, rows in history.telecom_paid.items()
                for dt, amt, mn, rn, title in rows
            ),
            balances={ids[key]: balance for key, balance in history.balances.items()},
        )

    async def post_transfer(
        self, session: AsyncSession, *, asset_id: int, amount: int, trans_class: str, memo: str, dtime: str
    ) -> int:
        repo = CoreRepository(session)
        balance = await repo.apply_to_balance(asset_id, amount)
        if balance is None:
            raise InsufficientFunds
        number = await repo.next_trans_no(asset_id)
        await repo.add_deposit_tx(
            {
                "asset_id": asset_id,
                "trans_dtime": dtime,
                "trans_no": f"T{dtime}{number:06d}",
                "trans_type": "03" if amount < 0 else "04",
                "trans_class": trans_class,
                "trans_amt": abs(amount),
                "balance_amt": balance,
                "trans_memo": memo,
            }
        )
        return balance
