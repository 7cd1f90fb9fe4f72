"""The alliance's historical data for developing credit models: each synthetic person's histories
at the members, as the members' data arrive through MyData for credit assessment
(:class:`~samgak.mydata.credit.CreditHistory` for the twelve months before a cut-off day), with
the outcome of the six months after it.

The outcome ("bad") is what a lender fears of a thin file: two or more phone bills left unpaid
in the six months after the cut-off. Features see only what lies before the cut-off, outcomes only
what lies after (point-in-time correct). This module joins the synthetic cores and the platform's
types, so it sits beside the CLI rather than in either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date

from samgak.institution.core.synthetic import SyntheticAlliance
from samgak.mydata.credit import CreditHistory, window_start

OUTCOME_MONTHS = 6
MEMBER_CODES = {
    "woori-bank": "WRBK000020",
    "k-bank": "KBNK000089",
    "woori-card": "WRCD000041",
    "bc-card": "BCCD000031",
    "kt": "KTTC000030",
}


@dataclass(frozen=True, slots=True)
class Example:
    index: int  # the person
    history: CreditHistory
    bad: bool
    age: int
    sex: str


def _months_after(day: date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12}{index % 12 + 1:02d}01"


def example(alliance: SyntheticAlliance, index: int, cutoff: date) -> Example:
    """One person's history before ``cutoff`` and outcome in the six months from it."""
    person = alliance.person(index)
    held = alliance.holdings(person)
    since, until, end = window_start(cutoff), f"{cutoff:%Y%m%d}", _months_after(cutoff, OUTCOME_MONTHS)
    bills, paid, micro, deposits, approvals, card_bills = [], [], [], [], [], []
    balance = loan_balance = missed_after = 0
    for member in held:
        history = alliance.history(person, member, held)
        for months in history.telecom_months.values():
            for month, charge, due, paid_amt, method in months:
                if since <= due < until:
                    bills.append((month, charge))
                    if paid_amt is not None:
                        paid.append((month, paid_amt, method or "01"))
                elif until <= due < end and paid_amt == 0:
                    missed_after += 1
        for payments in history.telecom_paid.values():
            micro += [(dtime[:8], amount) for dtime, amount, *_ in payments if since <= dtime[:8] < until]
        for flows in history.deposit_tx.values():
            before = [row for row in flows if row[0][:8] < until]
            deposits += [
                (dtime[:8], -amount if kind == "03" else amount, memo or klass)
                for dtime, _, kind, klass, amount, _, memo in before
                if dtime[:8] >= since
            ]
            balance += before[-1][5] if before else 0
        for loan in history.loan_tx.values():
            owed = [row for row in loan if str(row[0])[:8] < until]
            loan_balance += int(owed[-1][4]) if owed else 0
        for card in history.card_approvals.values():
            approvals += [
                (a["approved_dtime"][:8], a["approved_amt"])
                for a in card
                if a["status"] == "01" and since <= a["approved_dtime"][:8] < until
            ]
        card_bills += [
            (b["charge_month"], b["charge_amt"])
            for b in history.card_bills
            if since[:6] <= b["charge_month"] < until[:6]
        ]
    opened = [spec for specs in held.values() for spec in specs if f"{spec.opened:%Y%m%d}" < until]
    sex, _ = alliance.demographics(index)
    return Example(
        index=index,
        history=CreditHistory(
            as_of=until,
            members=frozenset(MEMBER_CODES[m] for m in held),
            telecom_bills=tuple(sorted(bills)),
            telecom_paid=tuple(sorted(paid)),
            micro_payments=tuple(sorted(micro)),
            deposits=tuple(sorted(deposits)),
            card_approvals=tuple(sorted(approvals)),
            card_bills=tuple(sorted(card_bills)),
            balance=balance,
            loan_balance=loan_balance,
            accounts=sum(s.kind == "deposit" for s in opened),
            cards=sum(s.kind == "card" for s in opened),
            loans=sum(s.kind == "loan" for s in opened),
            lines=sum(s.kind == "telecom" for s in opened),
        ),
        bad=missed_after >= 2,
        age=cutoff.year - person.birth_date.year,
        sex=sex,
    )


def _chunk(job: tuple[int, date, int, int, int, date]) -> list[Example]:
    seed, as_of, years, start, stop, cutoff = job
    alliance = SyntheticAlliance(seed, as_of, years)
    return [example(alliance, index, cutoff) for index in range(start, stop)]


def examples(
    seed: int,
    as_of: date,
    people: int,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Example]:
    """The first ``people`` persons of the alliance ``(seed, as_of)``, cut off six months before
    ``as_of`` (the last six months are their outcome), in chunks over ``workers`` processes."""
    cutoff = date.fromisoformat(
        f"{_months_after(as_of, -OUTCOME_MONTHS)[:4]}-{_months_after(as_of, -OUTCOME_MONTHS)[4:6]}-01"
    )
    years = 2  # the twelve months of history and six of outcome fit in two years of generated data
    step = 250
    jobs = [
        (seed, as_of, years, start, min(start + step, people), cutoff) for start in range(0, people, step)
    ]
    with ProcessPoolExecutor(max_workers=max(workers, 1)) as pool:
        for chunk in pool.map(_chunk, jobs):
            yield from chunk
            if progress:
                progress(len(chunk))
