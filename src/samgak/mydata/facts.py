"""A person's facts of one month, from their consented MyData data only, for partner products.

What offers may ask of a person (and nothing else): which account or card paid the KT bill and
how much it was, card spending per issuing member, and salary deposits per bank. Everything comes
from what the person's live consents brought in; a member they did not link is simply absent,
and the facts say which members were linked so a rule can explain what is missing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.mydata.repository import MydataRepository

KT, KT_BILL, AUTO_TRANSFER = "KTTC000030", "KT 통신요금", "자동이체"
BANK_CODES = {"WRBK000020": "020", "KBNK000089": "089"}  # 금융기관 코드 of the member banks


@dataclass(frozen=True, slots=True)
class PaidFrom:
    """What paid a bill: a bank account, or a card (check cards debit the linked bank)."""

    org_code: str
    kind: str  # account | check_card | credit_card
    name: str
    linked_bank: str | None = None  # the org code of a check card's bank, when a member


@dataclass(frozen=True, slots=True)
class MonthFacts:
    month: str  # YYYYMM
    linked: frozenset[str]  # member org codes with a live consent
    kt_bill: int = 0  # won billed by KT this month (every line)
    kt_payments: tuple[tuple[PaidFrom, int], ...] = ()  # what paid how much of the KT bills
    card_spending: dict[str, int] = field(default_factory=dict)  # card member → won approved
    salary: dict[str, int] = field(default_factory=dict)  # bank member → won of 급여 deposits


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[4:])
    return f"{year + number // 12}{number % 12 + 1:02d}"


async def month_facts(session: AsyncSession, subject: str, month: str) -> MonthFacts:
    """The person's facts of ``month`` (YYYYMM) from their collected data."""
    return (await month_facts_of(session, [subject], month))[subject]


async def month_facts_of(session: AsyncSession, subjects: Sequence[str], month: str) -> dict[str, MonthFacts]:
    """:func:`month_facts` of many people at once: two reads, whatever their number."""
    repo = MydataRepository(session)
    assets = {row.id: row for row in await repo.asset_rows_of(subjects)}
    records = await repo.record_rows_between(list(assets), f"{month}01", f"{_next_month(month)}01")
    by_subject: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for asset_id, kind, amount, description, _at in records:
        asset = assets[asset_id]
        by_subject[asset.subject].append((kind, amount, description, asset))
    linked: dict[str, set[str]] = defaultdict(set)
    for asset in assets.values():
        if asset.consent_id is not None:
            linked[asset.subject].add(asset.org_code)
    return {s: _facts(month, frozenset(linked[s]), by_subject.get(s, [])) for s in subjects}


def _facts(month: str, linked: frozenset[str], rows: list[tuple[Any, ...]]) -> MonthFacts:
    spending: dict[str, int] = defaultdict(int)
    salary: dict[str, int] = defaultdict(int)
    kt_bills: list[int] = []
    payments = []  # outflows that may have paid the KT bill
    for kind, amount, description, asset in rows:
        if kind == "telecom_bill" and asset.org_code == KT:
            kt_bills.append(-amount)
        elif kind == "approval" and amount < 0:
            spending[asset.org_code] += -amount
        elif kind == "deposit_tx" and amount > 0 and "급여" in description:
            salary[asset.org_code] += amount
        if amount < 0 and kind in ("deposit_tx", "approval"):
            payments.append((kind, -amount, description, asset))
    unmatched = list(kt_bills)
    kt_payments = []
    for kind, paid, description, asset in payments:
        named = KT_BILL in description  # the memo or merchant name, where the consent sends it
        auto = kind == "deposit_tx" and description == AUTO_TRANSFER and paid in unmatched
        if named or auto:
            if paid in unmatched:
                unmatched.remove(paid)
            kt_payments.append((_paid_from(asset), paid))
    return MonthFacts(month, linked, sum(kt_bills), tuple(kt_payments), dict(spending), dict(salary))


def _paid_from(asset: Any) -> PaidFrom:
    detail = json.loads(asset.detail)
    if asset.kind == "deposit":
        return PaidFrom(asset.org_code, "account", asset.name)
    if detail.get("card_type") == "02":
        bank = {code: org for org, code in BANK_CODES.items()}.get(str(detail.get("linked_bank_code")))
        return PaidFrom(asset.org_code, "check_card", asset.name, bank)
    return PaidFrom(asset.org_code, "credit_card", asset.name)
