"""A person's credit history: the last twelve months of the data they linked **for credit
assessment** (전송요구 purpose ``신용평가``), and nothing else.

What scoring may read (and only this): telecom bills and how they were paid, carrier-billing
micro-payments, deposit-account flows and balances, card approvals and card bills, loan balances.
A member linked for another purpose (통합 자산관리, say) is left out even when its data are here:
the purpose is checked per consent. Every row is dated before ``as_of`` (no look-ahead), so the
same history can be rebuilt for any past day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.mydata.repository import MydataRepository

CREDIT_PURPOSE = "신용평가"
WINDOW_MONTHS = 12


@dataclass(frozen=True, slots=True)
class CreditHistory:
    as_of: str  # YYYYMMDD: the first day not in the history
    members: frozenset[str]  # org codes linked for credit assessment
    telecom_bills: tuple[tuple[str, int], ...] = ()  # (YYYYMM, won billed)
    telecom_paid: tuple[tuple[str, int, str], ...] = ()  # (YYYYMM, won paid, 01 auto-pay | 02 giro)
    micro_payments: tuple[tuple[str, int], ...] = ()  # (YYYYMMDD, won)
    deposits: tuple[tuple[str, int, str], ...] = ()  # (YYYYMMDD, won in (+) or out (−), description)
    card_approvals: tuple[tuple[str, int], ...] = ()  # (YYYYMMDD, won)
    card_bills: tuple[tuple[str, int], ...] = ()  # (YYYYMM, won billed)
    balance: int = 0  # won in deposit accounts
    loan_balance: int = 0  # won owed
    accounts: int = 0
    cards: int = 0
    loans: int = 0
    lines: int = 0  # telecom contracts

    @property
    def thin_file(self) -> bool:
        """No bank account and no card: little for a classic credit file to read."""
        return self.accounts == 0 and self.cards == 0


def window_start(as_of: date) -> str:
    index = as_of.year * 12 + as_of.month - 1 - WINDOW_MONTHS
    return f"{index // 12}{index % 12 + 1:02d}01"


async def credit_history(session: AsyncSession, subject: str, as_of: date) -> CreditHistory | None:
    """The history of ``subject`` before ``as_of``; None when nothing is linked for credit assessment."""
    repo = MydataRepository(session)
    consents = {link.consent_id for link in await repo.links_of(subject) if CREDIT_PURPOSE in link.purpose}
    if not consents:
        return None
    assets = [a for a in await repo.assets_of(subject) if a.consent_id in consents]
    since, until = window_start(as_of), f"{as_of:%Y%m%d}"
    rows = await repo.record_rows_between([a.id for a in assets], since, until)
    kinds = {a.id: a.kind for a in assets}
    bills, paid, micro, deposits, approvals, card_bills = [], [], [], [], [], []
    for asset_id, kind, amount, description, at in rows:
        if kind == "telecom_bill":
            bills.append((at[:6], -amount))
        elif kind == "telecom_paid":
            paid.append((at[:6], -amount, "02" if "(02)" in description else "01"))
        elif kind == "micro_payment":
            micro.append((at[:8], -amount))
        elif kind == "deposit_tx" and kinds[asset_id] == "deposit":
            deposits.append((at[:8], amount, description))
        elif kind == "approval":
            approvals.append((at[:8], -amount))
        elif kind == "card_bill":
            card_bills.append((at[:6], -amount))
    count = {kind: sum(a.kind == kind for a in assets) for kind in ("deposit", "card", "loan", "telecom")}
    return CreditHistory(
        as_of=until,
        members=frozenset(a.org_code for a in assets),
        telecom_bills=tuple(sorted(bills)),
        telecom_paid=tuple(sorted(paid)),
        micro_payments=tuple(sorted(micro)),
        deposits=tuple(sorted(deposits)),
        card_approvals=tuple(sorted(approvals)),
        card_bills=tuple(sorted(card_bills)),
        balance=sum(a.balance or 0 for a in assets if a.kind == "deposit"),
        loan_balance=sum(a.balance or 0 for a in assets if a.kind == "loan"),
        accounts=count["deposit"],
        cards=count["card"],
        loans=count["loan"],
        lines=count["telecom"],
    )
