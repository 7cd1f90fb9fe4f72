"""Each partner product's rule on its own: eligibility with reasons, and what a month earns."""

from __future__ import annotations

from samgak.mydata import MonthFacts, PaidFrom
from samgak.offers.rules import (
    BC_CARD,
    KBANK,
    KT,
    WOORI_BANK,
    WOORI_CARD,
    KtBillDiscount,
    PartnershipSavings,
    PaybookPromotion,
    Product,
)
from samgak.offers.service import shares

ALL = frozenset({KBANK, KT, WOORI_BANK, WOORI_CARD, BC_CARD})


def facts(**values: object) -> MonthFacts:
    return MonthFacts(**({"month": "202610", "linked": ALL} | values))  # type: ignore[arg-type]


def test_the_registry_knows_every_product_and_its_funding_adds_up() -> None:
    assert {"kt-bill-kbank", "kbank-wooricard-savings", "bc-paybook"} <= set(Product.registry)
    assert all(sum(cls.funding.values()) == 100 for cls in Product.registry.values())


def test_kt_discount_needs_kbank_autopay_and_caps_at_5000() -> None:
    rule = KtBillDiscount()
    kbank = PaidFrom(KBANK, "account", "입출금통장")
    by_account = facts(kt_bill=38_000, kt_payments=((kbank, 38_000),))
    assert rule.eligibility(by_account).eligible
    assert rule.earned(by_account).won == 3_800
    assert rule.earned(facts(kt_bill=90_000, kt_payments=((kbank, 90_000),))).won == 5_000
    check_card = PaidFrom(BC_CARD, "check_card", "케이뱅크 체크카드", linked_bank=KBANK)
    assert rule.eligibility(facts(kt_bill=10_000, kt_payments=((check_card, 10_000),))).eligible
    woori = facts(kt_bill=38_000, kt_payments=((PaidFrom(WOORI_BANK, "account", "우리통장"), 38_000),))
    verdict = rule.eligibility(woori)
    assert not verdict.eligible and "케이뱅크" in verdict.missing[0] and "우리은행" in verdict.missing[0]
    assert rule.earned(woori).won == 0
    assert "KT를 연결" in rule.eligibility(facts(linked=frozenset({KBANK}))).missing[0]


def test_kt_discount_is_on_what_kbank_paid_only() -> None:
    """Two lines: the mobile by a Woori Card, the internet from K bank — 10% of the K bank part."""
    card = PaidFrom(WOORI_CARD, "credit_card", "카드의정석")
    kbank = PaidFrom(KBANK, "account", "입출금통장")
    mixed = facts(kt_bill=110_000, kt_payments=((card, 88_000), (kbank, 22_000)))
    assert rule_verdict_names(KtBillDiscount(), mixed) and KtBillDiscount().earned(mixed).won == 2_200


def rule_verdict_names(rule: KtBillDiscount, values: MonthFacts) -> bool:
    verdict = rule.eligibility(values)
    return verdict.eligible and "22,000원" in verdict.reasons[0]


def test_savings_rate_is_computed_month_by_month_from_three_conditions() -> None:
    rule = PartnershipSavings()
    none = rule.earned(facts())
    assert none.rate_bp == 0 and "연 2.0%" in none.note
    everything = facts(
        card_spending={WOORI_CARD: 300_000},
        kt_payments=((PaidFrom(KT, "account", "통장"), 50_000),),
        salary={KBANK: 3_000_000},
    )
    assert rule.earned(everything).rate_bp == 200 and "연 4.0%" in rule.earned(everything).note
    assert rule.earned(facts(card_spending={WOORI_CARD: 299_999})).rate_bp == 0
    verdict = rule.eligibility(facts(card_spending={WOORI_CARD: 120_000}))
    assert verdict.eligible and any("300,000원" in m for m in verdict.missing)
    assert not rule.eligibility(facts(linked=frozenset({KT}))).eligible


def test_paybook_cashback_from_100000_won_of_bc_spending() -> None:
    rule = PaybookPromotion()
    assert rule.earned(facts(card_spending={BC_CARD: 99_999})).won == 0
    assert rule.earned(facts(card_spending={BC_CARD: 100_000})).won == 3_000
    assert not rule.eligibility(facts(linked=frozenset({KBANK}))).eligible


def test_shares_split_in_whole_won_and_add_up() -> None:
    assert shares(KtBillDiscount(), 3_801) == [(KBANK, 2_281), (KT, 1_520)]
    assert sum(a for _, a in shares(PartnershipSavings(), 1)) == 1
