"""Partner products as declarative rules: one small class each, found through a registry.

A rule reads a person's :class:`~samgak.mydata.MonthFacts` — consented MyData facts only — and
answers two questions: does the person qualify, and why or what is missing (in Korean), and, for a
month of an enrolment, what the person earned (a discount in won, or preferential rate points in
basis points). It also says which members fund the benefit and in what shares, which is what the
monthly partner settlement divides. A new product is one new subclass here, nothing else:
subclassing registers it.

The terms are the demo's own (the alliance's article names the products, not their terms).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from samgak.mydata import MonthFacts, PaidFrom

KBANK, WOORI_BANK, WOORI_CARD, BC_CARD, KT = (
    "KBNK000089",
    "WRBK000020",
    "WRCD000041",
    "BCCD000031",
    "KTTC000030",
)
NAMES = {KBANK: "케이뱅크", WOORI_BANK: "우리은행", WOORI_CARD: "우리카드", BC_CARD: "BC카드", KT: "KT"}


@dataclass(frozen=True, slots=True)
class Verdict:
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # why they qualify, in Korean
    missing: list[str] = field(default_factory=list)  # what they would need, in Korean


@dataclass(frozen=True, slots=True)
class Earned:
    """A month's benefit: a discount in won and/or preferential rate points (bp)."""

    won: int = 0
    rate_bp: int = 0
    note: str = ""


class Product(ABC):
    """A partner product. Subclasses set the class attributes and implement the two rules."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    terms: ClassVar[tuple[str, ...]]
    months: ClassVar[int]  # how long an enrolment earns
    funding: ClassVar[dict[str, int]]  # member → share of the benefit in percent (sums to 100)
    paid_by: ClassVar[str]  # the member that gives the benefit to the customer
    registry: ClassVar[dict[str, type[Product]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        assert sum(cls.funding.values()) == 100, f"{cls.__name__}: funding shares must add to 100"
        Product.registry[cls.code] = cls

    @abstractmethod
    def eligibility(self, facts: MonthFacts) -> Verdict:
        """Whether the person qualifies, with the reasons or what is missing (Korean)."""

    @abstractmethod
    def earned(self, facts: MonthFacts) -> Earned:
        """What an enrolment earned in the month of ``facts``."""

    @classmethod
    def card(cls) -> dict[str, object]:
        """The product's public reference data."""
        return {
            "code": cls.code,
            "name": cls.name,
            "summary": cls.summary,
            "terms": cls.terms,
            "months": cls.months,
            "paid_by": NAMES[cls.paid_by],
            "funding": {NAMES[m]: share for m, share in cls.funding.items()},
        }


def _won(amount: int) -> str:
    return f"{amount:,}원"


class KtBillDiscount(Product):
    """KT 통신요금 할인: the KT bill auto-paid from a K bank account or by a K bank check card."""

    code = "kt-bill-kbank"
    name = "KT 통신요금 케이뱅크 자동납부 할인"
    summary = (
        "KT 요금을 케이뱅크 계좌나 케이뱅크 체크카드로 자동납부하면 매달 요금의 10%를 할인 (월 최대 5,000원)"
    )
    terms = ("할인율 10%", "월 최대 5,000원", "24개월", "KT가 청구서에서 할인, 케이뱅크가 60% 부담")
    months = 24
    funding: ClassVar[dict[str, int]] = {KBANK: 60, KT: 40}
    paid_by = KT
    RATE_PERCENT: ClassVar[int] = 10
    CAP: ClassVar[int] = 5_000

    @staticmethod
    def qualifies(paid: PaidFrom) -> bool:
        return (paid.kind == "account" and paid.org_code == KBANK) or (
            paid.kind == "check_card" and paid.linked_bank == KBANK
        )

    def eligibility(self, facts: MonthFacts) -> Verdict:
        if KT not in facts.linked:
            return Verdict(False, missing=["마이데이터로 KT를 연결해 주세요 (요금 납부 수단을 확인합니다)"])
        ours = [(paid, amount) for paid, amount in facts.kt_payments if self.qualifies(paid)]
        if ours:
            return Verdict(
                True,
                reasons=[
                    f"KT 요금 {_won(amount)}을 {NAMES.get(paid.org_code, paid.org_code)} {paid.name}(으)로 자동납부하고 있습니다"
                    for paid, amount in ours
                ],
            )
        if not facts.kt_payments:
            return Verdict(
                False, missing=["KT 요금 자동납부 내역이 없습니다: 케이뱅크 계좌로 자동납부를 신청하세요"]
            )
        paid = facts.kt_payments[0][0]
        return Verdict(
            False,
            missing=[
                f"지금은 {NAMES.get(paid.org_code, paid.org_code)} {paid.name}(으)로 납부합니다: "
                "케이뱅크 계좌나 케이뱅크 체크카드로 바꾸세요"
            ],
        )

    def earned(self, facts: MonthFacts) -> Earned:
        """10% of what K bank paid of the KT bills this month (not of lines paid elsewhere)."""
        paid = sum(amount for paid, amount in facts.kt_payments if self.qualifies(paid))
        if paid <= 0:
            return Earned(note="이번 달은 케이뱅크 자동납부 내역이 없습니다")
        discount = min(paid * self.RATE_PERCENT // 100, self.CAP)
        return Earned(won=discount, note=f"케이뱅크로 낸 KT 요금 {_won(paid)}의 10% (최대 5,000원)")


class PartnershipSavings(Product):
    """케이뱅크 × 우리카드 제휴 적금: base rate plus preferential points, month by month."""

    code = "kbank-wooricard-savings"
    name = "케이뱅크 × 우리카드 제휴 적금"
    summary = "기본 연 2.0%에 우리카드 월 30만원 이상 사용 +1.0%p, KT 요금 자동납부 +0.5%p, 케이뱅크 급여 입금 +0.5%p"
    terms = (
        "기본 연 2.0%",
        "우리카드 월 300,000원 이상 +1.0%p",
        "KT 자동납부 +0.5%p",
        "케이뱅크 급여 입금 +0.5%p",
        "12개월",
        "우대금리는 우리카드 50%, 케이뱅크 50% 부담",
    )
    months = 12
    funding: ClassVar[dict[str, int]] = {WOORI_CARD: 50, KBANK: 50}
    paid_by = KBANK
    BASE_BP: ClassVar[int] = 200
    CARD_MIN: ClassVar[int] = 300_000

    def _points(self, facts: MonthFacts) -> list[tuple[int, str, str]]:
        """(bp, met?, text) of each preferential condition."""
        card = facts.card_spending.get(WOORI_CARD, 0)
        return [
            (
                100 if card >= self.CARD_MIN else 0,
                f"우리카드 이번 달 {_won(card)} 사용",
                "우리카드를 월 300,000원 이상 쓰면 +1.0%p",
            ),
            (
                50 if facts.kt_payments else 0,
                "KT 요금 자동납부 중",
                "KT 요금을 자동납부하면 +0.5%p",
            ),
            (
                50 if facts.salary.get(KBANK, 0) > 0 else 0,
                "케이뱅크로 급여 입금",
                "급여를 케이뱅크로 받으면 +0.5%p",
            ),
        ]

    def eligibility(self, facts: MonthFacts) -> Verdict:
        if KBANK not in facts.linked:
            return Verdict(False, missing=["마이데이터로 케이뱅크를 연결해 주세요"])
        met = [text for bp, text, _ in self._points(facts) if bp]
        unmet = [hint for bp, _, hint in self._points(facts) if not bp]
        return Verdict(True, reasons=["케이뱅크 고객이면 누구나 가입할 수 있습니다", *met], missing=unmet)

    def earned(self, facts: MonthFacts) -> Earned:
        points = sum(bp for bp, _, _ in self._points(facts))
        rate = self.BASE_BP + points
        return Earned(
            rate_bp=points, note=f"이번 달 적용 금리 연 {rate / 100:.1f}% (우대 {points / 100:.1f}%p)"
        )


class PaybookPromotion(Product):
    """BC카드 페이북 연계: BC card spending of 100,000원 in a month earns 3,000원 cashback."""

    code = "bc-paybook"
    name = "BC카드 페이북 연계 캐시백"
    summary = "BC카드로 한 달 100,000원 이상 쓰면 다음 달 3,000원 캐시백 (페이북에서 확인)"
    terms = ("월 100,000원 이상 사용", "3,000원 캐시백", "6개월", "BC카드 전액 부담")
    months = 6
    funding: ClassVar[dict[str, int]] = {BC_CARD: 100}
    paid_by = BC_CARD
    MINIMUM: ClassVar[int] = 100_000
    CASHBACK: ClassVar[int] = 3_000

    def eligibility(self, facts: MonthFacts) -> Verdict:
        if BC_CARD not in facts.linked:
            return Verdict(False, missing=["마이데이터로 BC카드를 연결해 주세요"])
        spent = facts.card_spending.get(BC_CARD, 0)
        return Verdict(True, reasons=[f"BC카드 고객입니다 (이번 달 {_won(spent)} 사용)"])

    def earned(self, facts: MonthFacts) -> Earned:
        spent = facts.card_spending.get(BC_CARD, 0)
        if spent < self.MINIMUM:
            return Earned(note=f"BC카드 {_won(spent)} 사용 (100,000원부터 캐시백)")
        return Earned(won=self.CASHBACK, note=f"BC카드 {_won(spent)} 사용")


def products() -> list[Product]:
    return [cls() for cls in Product.registry.values()]


def product(code: str) -> Product | None:
    cls = Product.registry.get(code)
    return cls() if cls else None
