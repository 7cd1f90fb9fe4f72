"""Partner offers: eligibility from consented facts, enrolment, the monthly benefit run and the
partner settlement.

Eligibility reads the person's facts of the last complete month (``mydata.month_facts``: only
what their live consents brought in) and each rule's Korean explanation. Enrolment starts the
benefit in the month it is made. The monthly run walks the enrolments earning in a month, asks
each rule what the person earned from that month's collected data, keeps one row per person,
product and month (a second run of a month adds nothing) and posts the won benefits to the
ledger, one summary posting per product and batch (its key names the benefit rows it covers):
the funding members' promotion expense in their shares against what is owed through the member
that gives it. The partner settlement divides a month's won benefits by the products'
funding shares: which member owes which, per promotion.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from samgak import ledger, mydata
from samgak.config import Settings
from samgak.kit.crypto import derive_key
from samgak.kit.db import Database
from samgak.kit.errors import SamgakError
from samgak.kit.timeutil import today_kst, utcnow
from samgak.offers.models import OffersBenefit, OffersEnrolment
from samgak.offers.repository import OffersRepository
from samgak.offers.rules import NAMES, Product, Verdict, product, products


def offers_key(settings: Settings) -> bytes:
    """Offers' own key (campaign holdouts, store PINs), derived from the platform's secret."""
    return derive_key(settings.secret_key.get_secret_value(), "offers/holdout")


class OffersError(SamgakError):
    """An expected refusal of the offers API; nothing was changed."""


def month_key(day: date, back: int = 0) -> str:
    """``YYYYMM`` of ``day``'s month, ``back`` months earlier."""
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12}{index % 12 + 1:02d}"


def months_between(first: str, month: str) -> int:
    return (int(month[:4]) - int(first[:4])) * 12 + int(month[4:]) - int(first[4:])


@dataclass(frozen=True, slots=True)
class Offer:
    """A product as one person sees it."""

    card: dict[str, Any]
    verdict: Verdict
    enrolled: bool
    earned: list[OffersBenefit] = field(default_factory=list)


async def offers_for(database: Database, subject: str, *, today: date | None = None) -> list[Offer]:
    """Every product with the person's verdict (on last month's facts) and what they earned."""
    today = today or today_kst()
    async with database.read_sessions() as session:
        facts = await mydata.month_facts(session, subject, month_key(today, 1))
        repo = OffersRepository(session)
        enrolments = await repo.enrolments_of(subject)
        benefits = await repo.benefits_of(subject)
    found = []
    for rule in products():
        enrolment = enrolments.get(rule.code)
        found.append(
            Offer(
                rule.card(),
                rule.eligibility(facts),
                enrolment is not None and enrolment.opted_out_at is None,
                [b for b in benefits if b.product == rule.code],
            )
        )
    return found


async def enrol(database: Database, subject: str, code: str, *, today: date | None = None) -> None:
    """Enrol the person if the rule says they qualify (else the missing conditions, in Korean)."""
    today = today or today_kst()
    rule = product(code)
    if rule is None:
        raise OffersError("없는 상품입니다", status_code=404, code="not_found")
    async with database.unit_of_work() as session:
        verdict = rule.eligibility(await mydata.month_facts(session, subject, month_key(today, 1)))
        if not verdict.eligible:
            raise OffersError(
                " · ".join(verdict.missing) or "가입 조건을 채우지 못했습니다", code="not_eligible"
            )
        await OffersRepository(session).enrol(subject, code, utcnow(), month_key(today))


async def opt_out(database: Database, subject: str, code: str) -> None:
    async with database.unit_of_work() as session:
        if not await OffersRepository(session).opt_out(subject, code, utcnow()):
            raise OffersError("가입하지 않은 상품입니다", status_code=409, code="not_enrolled")


@dataclass
class RunReport:
    month: str
    enrolments: int = 0
    computed: int = 0  # new benefit rows (a second run of a month computes none)
    won: int = 0


async def run_month(
    database: Database, month: str, *, batch: int = 500, progress: Any = lambda _n: None
) -> RunReport:
    """The monthly benefit run for ``month`` (see the module docstring): enrolments in batches,
    each batch's facts in two reads, its new benefit rows and one summary ledger posting per
    product in one unit of work."""
    report = RunReport(month)
    rules = {rule.code: rule for rule in products()}
    async with database.unit_of_work() as session:
        for rule in rules.values():
            await ledger.open_account(session, f"benefits:{rule.code}", "liability", recording=True)
            for member in rule.funding:
                await ledger.open_account(
                    session, f"promotion:{rule.code}:{member}", "expense", recording=True
                )
    after = 0
    while True:
        async with database.unit_of_work() as session:
            repo = OffersRepository(session)
            chunk = await repo.active_in(month, after, batch)
            if chunk:
                await _compute(session, repo, rules, chunk, month, report)
        if not chunk:
            return report
        after = chunk[-1].id
        report.enrolments += len(chunk)
        progress(len(chunk))


async def _compute(
    session: Any,
    repo: OffersRepository,
    rules: dict[str, Product],
    chunk: Sequence[OffersEnrolment],
    month: str,
    report: RunReport,
) -> None:
    earning = [e for e in chunk if months_between(e.first_month, month) < rules[e.product].months]
    facts = await mydata.month_facts_of(session, sorted({e.subject for e in earning}), month)
    now = utcnow()
    rows = []
    for enrolment in earning:
        earned = rules[enrolment.product].earned(facts[enrolment.subject])
        rows.append(
            {
                "subject": enrolment.subject,
                "product": enrolment.product,
                "month": month,
                "won": earned.won,
                "rate_bp": earned.rate_bp,
                "note": earned.note[:200],
                "computed_at": now,
            }
        )
    inserted = await repo.add_benefits(rows)  # a row computed before stays as it was
    report.computed += len(inserted)
    for code, rule in rules.items():
        mine = [(row_id, won) for row_id, product_code, won in inserted if product_code == code and won]
        won = sum(w for _, w in mine)
        if not won:
            continue
        report.won += won
        legs = [ledger.Leg(f"promotion:{code}:{m}", amount) for m, amount in shares(rule, won)]
        legs.append(ledger.Leg(f"benefits:{code}", -won))
        key = f"benefit:{code}:{month}:{min(i for i, _ in mine)}-{max(i for i, _ in mine)}"
        await ledger.post(
            session, ledger.Transfer(key, "benefit", tuple(legs), memo=f"{len(mine)} customers")
        )


def shares(rule: Product, won: int) -> list[tuple[str, int]]:
    """``won`` divided by the rule's funding shares in whole won; the remainder to the largest."""
    parts = [(member, won * percent // 100) for member, percent in rule.funding.items()]
    largest = max(range(len(parts)), key=lambda i: rule.funding[parts[i][0]])
    member, amount = parts[largest]
    parts[largest] = (member, amount + won - sum(a for _, a in parts))
    return [(m, a) for m, a in parts if a]


@dataclass(frozen=True, slots=True)
class SettlementLine:
    product: str
    payer: str  # the funding member that owes
    payee: str  # the member that gave the benefit
    people: int
    amount: int


async def partner_settlement(database: Database, month: str) -> list[SettlementLine]:
    """Who owes whom for the month's won benefits, per promotion."""
    async with database.read_sessions() as session:
        totals = await OffersRepository(session).month_totals(month)
    lines = []
    for code, people, won in totals:
        rule = product(code)
        if rule is None or not won:
            continue
        for member, amount in shares(rule, won):
            if member != rule.paid_by:
                lines.append(SettlementLine(rule.name, NAMES[member], NAMES[rule.paid_by], people, amount))
    return lines


def catalogue() -> list[dict[str, Any]]:
    """The public reference data of every partner product."""
    return [rule.card() for rule in products()]


def settlement_csv(month: str, lines: list[SettlementLine]) -> str:
    """A month's partner settlement as a statement (CSV, UTF-8 with BOM for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["월", "프로모션", "부담사", "지급사", "고객 수", "금액(원)"])
    writer.writerows(
        [month, line.product, line.payer, line.payee, line.people, line.amount] for line in lines
    )
    return "\ufeff" + out.getvalue()
