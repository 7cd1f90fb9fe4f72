"""One picture of a person's finances and telecom: what the dashboard and the API show.

Everything here is computed from the person's own collected data (only what their live consents
brought in): balances and net worth, monthly income and spending from bank transactions, card
spending by category and merchant, telecom bills and payments, carrier-billing micro-payments, recurring
payments (the same payee from the same account or card in at least three of the last six months,
about the same amount, about once a month), which account or card pays the KT bill (auto-pay
detection), and a few plain insights.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.crypto import Sealer
from samgak.kit.timeutil import today_kst
from samgak.mydata.categories import OTHER
from samgak.mydata.models import MydataAsset, MydataRecord
from samgak.mydata.repository import MydataRepository
from samgak.mydata.words import _


@dataclass(frozen=True, slots=True)
class AssetLine:
    id: int
    org_code: str
    kind: str
    name: str
    masked: str
    balance: int | None


@dataclass(frozen=True, slots=True)
class PayingAccount:
    """A linked demand-deposit account (수시입출식, 은행-001 ``account_type`` 1001) a payment may
    be drawn from; the number is handed only to the payment the person is approving."""

    org_code: str
    account_num: str
    name: str
    masked: str
    balance: int | None


@dataclass(frozen=True, slots=True)
class MonthFlow:
    month: str  # YYYYMM
    income: int
    spending: int  # positive won


@dataclass(frozen=True, slots=True)
class Recurring:
    """A payment that comes back every month from one account or card."""

    what: str
    paid_from: AssetLine
    amount: int  # the typical (median) monthly amount, won
    months: int  # in how many of the last six months


@dataclass
class Portfolio:
    assets: list[AssetLine] = field(default_factory=list)
    deposits_total: int = 0
    loans_total: int = 0
    months: list[MonthFlow] = field(default_factory=list)
    card_by_merchant: list[tuple[str, int]] = field(default_factory=list)
    card_by_category: list[tuple[str, int]] = field(default_factory=list)  # this month, largest first
    card_spending_month: int = 0
    telecom_bills: list[tuple[str, int]] = field(default_factory=list)  # (YYYYMM, won), oldest first
    micro_payments_month: int = 0
    micro_payments_6m: int = 0
    recurring: list[Recurring] = field(default_factory=list)
    kt_autopay: AssetLine | None = None  # the account or card the KT bill is paid from
    upcoming: list[tuple[str, str, int]] = field(default_factory=list)  # (YYYYMMDD, what, won) from today
    insights: list[str] = field(default_factory=list)

    @property
    def net_worth(self) -> int:
        return self.deposits_total - self.loans_total

    def of_kind(self, *kinds: str) -> list[AssetLine]:
        return [a for a in self.assets if a.kind in kinds]


def _month_key(today: date, back: int) -> str:
    year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
    return f"{year}{month + 1:02d}"


def won(amount: int) -> str:
    """``12,345원`` (negative amounts keep their sign)."""
    return f"{amount:,}원"


async def portfolio(session: AsyncSession, subject: str, *, today: date | None = None) -> Portfolio:
    today = today or today_kst()
    repo = MydataRepository(session)
    assets = list(await repo.assets_of(subject))
    picture = Portfolio(
        assets=[
            AssetLine(a.id, a.org_code, a.kind, a.name, a.masked, a.balance)
            for a in assets
            if a.kind != "card_bills"
        ]
    )
    picture.deposits_total = sum(a.balance or 0 for a in assets if a.kind == "deposit")
    picture.loans_total = sum(a.balance or 0 for a in assets if a.kind == "loan")
    since = _month_key(today, 11) + "01"
    rows = await repo.records_of(subject, since)
    _flows(picture, rows, today)
    return picture


async def paying_accounts(session: AsyncSession, sealer: Sealer, subject: str) -> list[PayingAccount]:
    """The person's linked demand-deposit accounts, newest balance first seen in collection."""
    return [
        PayingAccount(a.org_code, sealer.open(a.key_sealed), a.name, a.masked, a.balance)
        for a in await MydataRepository(session).assets_of(subject)
        if a.kind == "deposit" and a.status == "01" and json.loads(a.detail).get("account_type") == "1001"
    ]


def _flows(picture: Portfolio, rows: Sequence[tuple[MydataRecord, MydataAsset]], today: date) -> None:
    this_month = _month_key(today, 0)
    six = [_month_key(today, back) for back in range(5, -1, -1)]
    income: dict[str, int] = defaultdict(int)
    spending: dict[str, int] = defaultdict(int)
    merchants: dict[str, int] = defaultdict(int)
    categories: dict[str, int] = defaultdict(int)
    bills: dict[str, int] = {}
    micro: dict[str, int] = defaultdict(int)
    paid: dict[tuple[int, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for record, asset in rows:
        month = record.at[:6]
        if record.kind in ("deposit_tx", "approval") and record.amount < 0 and month in six:
            paid[(asset.id, record.description)][month].append(-record.amount)
        if record.kind == "deposit_tx":
            if record.amount > 0:
                income[month] += record.amount
            else:
                spending[month] += -record.amount
        elif record.kind == "approval" and record.amount < 0:
            if month == this_month:
                picture.card_spending_month += -record.amount
                merchants[record.description] += -record.amount
                categories[record.category or OTHER] += -record.amount
        elif record.kind == "telecom_bill":
            bills[month] = bills.get(month, 0) + -record.amount
            if len(record.at) >= 8 and record.at[:8] >= f"{today:%Y%m%d}":
                picture.upcoming.append((record.at[:8], _("{name} 요금", name=asset.name), -record.amount))
        elif record.kind == "card_bill" and len(record.at) >= 8 and record.at[:8] >= f"{today:%Y%m%d}":
            picture.upcoming.append((record.at[:8], asset.name, -record.amount))
        elif record.kind == "micro_payment":
            micro[month] += -record.amount
    picture.months = [MonthFlow(m, income.get(m, 0), spending.get(m, 0)) for m in six]
    picture.upcoming.sort()
    picture.card_by_merchant = sorted(merchants.items(), key=lambda kv: -kv[1])[:8]
    picture.card_by_category = sorted(categories.items(), key=lambda kv: -kv[1])
    picture.telecom_bills = sorted(bills.items())[-12:]
    picture.micro_payments_month = micro.get(this_month, 0)
    picture.micro_payments_6m = sum(micro.get(m, 0) for m in six)
    picture.recurring = _recurring(picture, paid)
    picture.kt_autopay = next((r.paid_from for r in picture.recurring if "KT" in r.what), None)
    picture.insights = _insights(picture, this_month)


def _recurring(picture: Portfolio, paid: dict[tuple[int, str], dict[str, list[int]]]) -> list[Recurring]:
    """Payees paid from the same asset in ≥ 3 of the last six months, at most about once a month,
    each month within 25% of the median amount; largest first."""
    lines = {a.id: a for a in picture.assets}
    found = []
    for (asset_id, what), by_month in paid.items():
        if (
            len(by_month) < 3
            or asset_id not in lines
            or sum(map(len, by_month.values())) > len(by_month) * 1.5
        ):
            continue
        amounts = sorted(sum(v) for v in by_month.values())
        median = amounts[len(amounts) // 2]
        if median and all(abs(a - median) <= median // 4 for a in amounts):
            found.append(Recurring(what, lines[asset_id], median, len(by_month)))
    return sorted(found, key=lambda r: -r.amount)


def _insights(picture: Portfolio, this_month: str) -> list[str]:
    said = []
    earlier = [m.spending for m in picture.months if m.month != this_month]
    current = next((m.spending for m in picture.months if m.month == this_month), 0)
    if earlier and any(earlier):
        average = sum(earlier) // len(earlier)
        said.append(
            _(
                "이번 달 지출은 {current}으로 지난 5개월 평균({average})보다 많이 썼습니다"
                if current > average
                else "이번 달 지출은 {current}으로 지난 5개월 평균({average})보다 적게 썼습니다",
                current=won(current),
                average=won(average),
            )
        )
    if len(picture.telecom_bills) >= 4:
        recent = [amount for _, amount in picture.telecom_bills[-3:]]
        before = [amount for _, amount in picture.telecom_bills[:-3]]
        if before and sum(recent) / 3 > sum(before) / len(before) * 1.1:
            said.append(_("최근 3개월 통신요금이 이전보다 10% 넘게 올랐습니다"))
    if picture.micro_payments_6m:
        said.append(_("최근 6개월 휴대폰 소액결제는 {amount}입니다", amount=won(picture.micro_payments_6m)))
    if picture.kt_autopay is not None:
        autopay = picture.kt_autopay
        said.append(
            _("KT 요금은 {name}({masked})에서 자동이체됩니다", name=autopay.name, masked=autopay.masked)
        )
    return said
