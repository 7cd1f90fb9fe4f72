"""The feature catalogue of alternative credit scoring: what a score may know of a person, each
computed from a :class:`~samgak.mydata.credit.CreditHistory` — the twelve months before the
scoring day of the data linked for credit assessment, nothing later (point-in-time correct) and
nothing else. The same history gives the same features on any machine (reproducible).

A feature a person's data cannot give (no bank account linked: no income regularity) is missing
(NaN), and the scorecard's binning gives "missing" its own weight of evidence: a thin file is not
scored as if its missing features were zeros.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from samgak.mydata.credit import CreditHistory

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    group: str  # telecom | finance
    label: str  # what the customer reads (Korean)
    adverse: str  # the reason given when this feature costs the most points (Korean)
    trend: str  # the monotonic trend of risk the scorecard is held to (optbinning's names)


CATALOGUE = (
    Feature(
        "tel_months", "telecom", "통신요금 청구 개월 수 (12개월)", "통신 이용 기간이 짧습니다", "descending"
    ),
    Feature(
        "tel_paid_ratio",
        "telecom",
        "통신요금 납부 비율",
        "통신요금을 제때 내지 않은 달이 있습니다",
        "descending",
    ),
    Feature("tel_missed", "telecom", "통신요금 미납 개월 수", "통신요금 미납이 있습니다", "ascending"),
    Feature(
        "tel_arrears",
        "telecom",
        "현재 연속 미납 개월 수",
        "통신요금이 지금 밀려 있습니다 (이용정지 위험)",
        "ascending",
    ),
    Feature(
        "tel_autopay", "telecom", "통신요금 자동납부 비율", "통신요금을 자동납부하지 않습니다", "descending"
    ),
    Feature("tel_bill_avg", "telecom", "월평균 통신요금", "통신요금 수준", "auto"),
    Feature(
        "micro_count", "telecom", "휴대폰 소액결제 건수 (12개월)", "휴대폰 소액결제가 잦습니다", "ascending"
    ),
    Feature(
        "micro_share",
        "telecom",
        "통신요금 중 소액결제 비중",
        "통신요금에서 소액결제 비중이 큽니다",
        "ascending",
    ),
    Feature(
        "income_months",
        "finance",
        "입금이 있는 달 수 (12개월)",
        "수입이 매달 들어오지 않습니다",
        "descending",
    ),
    Feature("income_cv", "finance", "월 입금액 변동계수", "수입이 들쭉날쭉합니다", "ascending"),
    Feature("spend_cv", "finance", "월 지출 변동계수", "지출이 들쭉날쭉합니다", "ascending"),
    Feature("card_months", "finance", "카드를 쓴 달 수 (12개월)", "카드 이용 실적이 적습니다", "descending"),
    Feature(
        "card_bill_to_income",
        "finance",
        "카드 청구액 ÷ 수입",
        "수입에 비해 카드 청구액이 큽니다",
        "ascending",
    ),
    Feature(
        "balance_to_income", "finance", "예금 잔액 ÷ 월수입", "수입에 비해 예금 잔액이 적습니다", "descending"
    ),
    Feature("loan_to_income", "finance", "대출 잔액 ÷ 연수입", "수입에 비해 대출이 많습니다", "ascending"),
)
NAMES = tuple(f.name for f in CATALOGUE)
TELECOM = tuple(f.name for f in CATALOGUE if f.group == "telecom")
BY_NAME = {f.name: f for f in CATALOGUE}


def _cv(values: list[int]) -> float:
    """Coefficient of variation (standard deviation ÷ mean) of monthly amounts; NaN for fewer than
    three months or a zero mean."""
    if len(values) < 3 or not statistics.fmean(values):
        return NAN
    return statistics.pstdev(values) / statistics.fmean(values)


def features(history: CreditHistory) -> dict[str, float]:
    """Every catalogue feature of one history (NaN where the data cannot tell)."""
    billed: dict[str, int] = defaultdict(int)
    for month, won in history.telecom_bills:
        billed[month] += won
    paid: dict[str, int] = defaultdict(int)
    auto: dict[str, bool] = {}
    for month, won, method in history.telecom_paid:
        paid[month] += won
        auto[month] = auto.get(month, True) and method == "01" and won > 0
    months = sorted(billed)
    settled = [m for m in months if paid.get(m, 0) >= billed[m] > 0 or (billed[m] == 0)]
    missed = [m for m in months if billed[m] > 0 and paid.get(m, 0) == 0]
    arrears = 0
    for month in reversed(months):
        if month not in missed:
            break
        arrears += 1
    micro = sum(won for _, won in history.micro_payments)
    out = {
        "tel_months": float(len(months)),
        "tel_paid_ratio": len(settled) / len(months) if months else NAN,
        "tel_missed": float(len(missed)) if months else NAN,
        "tel_arrears": float(arrears) if months else NAN,
        "tel_autopay": sum(auto.get(m, False) for m in months) / len(months) if months else NAN,
        "tel_bill_avg": statistics.fmean(billed.values()) if months else NAN,
        "micro_count": float(len(history.micro_payments)) if months else NAN,
        "micro_share": micro / sum(billed.values()) if months and sum(billed.values()) else NAN,
    }
    inflow: dict[str, int] = defaultdict(int)
    outflow: dict[str, int] = defaultdict(int)
    for day, won, _ in history.deposits:
        (inflow if won > 0 else outflow)[day[:6]] += abs(won)
    spent: dict[str, int] = defaultdict(int)
    for day, won in history.card_approvals:
        spent[day[:6]] += won
    has_bank, has_card = history.accounts > 0, history.cards > 0
    income = statistics.fmean(inflow.values()) if inflow else 0.0
    card_bill = statistics.fmean(won for _, won in history.card_bills) if history.card_bills else 0.0
    out |= {
        "income_months": float(len(inflow)) if has_bank else NAN,
        "income_cv": _cv(list(inflow.values())) if has_bank else NAN,
        "spend_cv": _cv([outflow[m] + spent[m] for m in set(outflow) | set(spent)])
        if has_bank or has_card
        else NAN,
        "card_months": float(len(spent)) if has_card else NAN,
        "card_bill_to_income": card_bill / income if has_card and income else NAN,
        "balance_to_income": history.balance / income if has_bank and income else NAN,
        "loan_to_income": history.loan_balance / (12 * income) if has_bank and income else NAN,
    }
    return {name: (value if math.isfinite(value) else NAN) for name, value in out.items()}
