"""The facts a member may export about its customers, computed from its own read model.

Each fact is one value per customer, as of the core's last day (``core_meta.as_of``), over the
last three full months where it is a flow. Amounts are rounded down (to 1,000원 for telecom bills,
10,000원 for card spending, 100,000원 for balances) so that a release never carries a won-exact
figure. Direct identifiers are not facts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.core import Core
from samgak.institution.models import (
    CoreAsset,
    CoreCardApproval,
    CoreCustomer,
    CoreMeta,
    CoreTelecomMonth,
    CoreTelecomPaid,
)

Value = int | str
Compute = Callable[["Context"], Awaitable[dict[int, Value]]]


@dataclass(frozen=True, slots=True)
class Context:
    session: AsyncSession
    core: Core
    customers: list[int]
    as_of: date

    @property
    def months(self) -> list[str]:
        """The last three full months, ``YYYYMM``."""
        year, month = self.as_of.year, self.as_of.month
        out = []
        for _ in range(3):
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            out.append(f"{year}{month:02d}")
        return out


async def as_of(session: AsyncSession) -> date:
    return date.fromisoformat(
        str(await session.scalar(select(CoreMeta.value).where(CoreMeta.key == "as_of")))
    )


async def _age(ctx: Context) -> dict[int, Value]:
    rows = await ctx.session.execute(select(CoreCustomer.id, CoreCustomer.birth_date))
    born = {cid: date(int(b[:4]), int(b[4:6]), int(b[6:8])) for cid, b in rows}
    return {
        cid: ctx.as_of.year - day.year - ((ctx.as_of.month, ctx.as_of.day) < (day.month, day.day))
        for cid, day in born.items()
    }


async def _sex(ctx: Context) -> dict[int, Value]:
    return {cid: sex for cid, (sex, _) in (await ctx.core.demographics(ctx.session, ctx.customers)).items()}


async def _province(ctx: Context) -> dict[int, Value]:
    found = await ctx.core.demographics(ctx.session, ctx.customers)
    return {cid: province for cid, (_, province) in found.items()}


async def _telecom_bill(ctx: Context) -> dict[int, Value]:
    rows = await ctx.session.execute(
        select(CoreAsset.customer_id, func.sum(CoreTelecomMonth.charge_amt))
        .select_from(CoreTelecomMonth)
        .join(CoreAsset, CoreAsset.id == CoreTelecomMonth.asset_id)
        .where(CoreTelecomMonth.month.in_(ctx.months))
        .group_by(CoreAsset.customer_id)
    )
    return {cid: int(total) // 3 // 1_000 * 1_000 for cid, total in rows}


async def _telecom_pay(ctx: Context) -> dict[int, Value]:
    """How the last billed month was paid: 자동납부, 지로 or 미납."""
    rows = await ctx.session.execute(
        select(CoreAsset.customer_id, CoreTelecomMonth.paid_amt, CoreTelecomMonth.pay_method)
        .select_from(CoreTelecomMonth)
        .join(CoreAsset, CoreAsset.id == CoreTelecomMonth.asset_id)
        .where(CoreTelecomMonth.month == ctx.months[0])
    )
    out: dict[int, Value] = {}
    for cid, paid, method in rows:
        way = "미납" if not paid else ("자동납부" if method == "01" else "지로")
        if out.get(cid) != "미납":  # one unpaid line makes the customer's month unpaid
            out[cid] = way
    return out


async def _micro_payments(ctx: Context) -> dict[int, Value]:
    start = f"{min(ctx.months)}01000000"
    end = f"{max(ctx.months)}31235959"
    rows = await ctx.session.execute(
        select(CoreAsset.customer_id, func.count())
        .select_from(CoreTelecomPaid)
        .join(CoreAsset, CoreAsset.id == CoreTelecomPaid.asset_id)
        .where(CoreTelecomPaid.trans_dtime.between(start, end))
        .group_by(CoreAsset.customer_id)
    )
    counts: dict[int, Value] = dict.fromkeys(ctx.customers, 0)
    counts.update({cid: int(n) for cid, n in rows})
    return counts


async def _card_spend(ctx: Context) -> dict[int, Value]:
    start = f"{min(ctx.months)}01000000"
    end = f"{max(ctx.months)}31235959"
    rows = await ctx.session.execute(
        select(CoreAsset.customer_id, func.sum(CoreCardApproval.approved_amt))
        .select_from(CoreCardApproval)
        .join(CoreAsset, CoreAsset.id == CoreCardApproval.asset_id)
        .where(CoreCardApproval.approved_dtime.between(start, end), CoreCardApproval.status == "01")
        .group_by(CoreAsset.customer_id)
    )
    spend: dict[int, Value] = dict.fromkeys(ctx.customers, 0)
    spend.update({cid: int(total) // 3 // 10_000 * 10_000 for cid, total in rows})
    return spend


async def _count_of(ctx: Context, kind: str) -> dict[int, Value]:
    rows = await ctx.session.execute(
        select(CoreAsset.customer_id, func.count())
        .where(CoreAsset.kind == kind)
        .group_by(CoreAsset.customer_id)
    )
    counts: dict[int, Value] = dict.fromkeys(ctx.customers, 0)
    counts.update({cid: int(n) for cid, n in rows})
    return counts


async def _card_count(ctx: Context) -> dict[int, Value]:
    return await _count_of(ctx, "card")


async def _deposit_balance(ctx: Context) -> dict[int, Value]:
    rows = await ctx.session.execute(
        select(CoreAsset.customer_id, func.sum(CoreAsset.balance_amt))
        .where(CoreAsset.kind == "deposit")
        .group_by(CoreAsset.customer_id)
    )
    balance: dict[int, Value] = dict.fromkeys(ctx.customers, 0)
    balance.update({cid: max(int(total or 0), 0) // 100_000 * 100_000 for cid, total in rows})
    return balance


@dataclass(frozen=True, slots=True)
class Fact:
    industries: frozenset[str]  # members that hold it
    history: bool  # needs the customer's transactions (not only products)
    compute: Compute


_ALL = frozenset({"bank", "card", "telecom"})
FACTS: dict[str, Fact] = {
    "age": Fact(_ALL, False, _age),
    "sex": Fact(_ALL, False, _sex),
    "province": Fact(_ALL, False, _province),
    "telecom_bill": Fact(frozenset({"telecom"}), True, _telecom_bill),
    "telecom_pay": Fact(frozenset({"telecom"}), True, _telecom_pay),
    "micro_payments": Fact(frozenset({"telecom"}), True, _micro_payments),
    "card_spend": Fact(frozenset({"card"}), True, _card_spend),
    "card_count": Fact(frozenset({"card"}), False, _card_count),
    "deposit_balance": Fact(frozenset({"bank"}), False, _deposit_balance),
}
