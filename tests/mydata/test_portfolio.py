"""Recurring payments and auto-pay detection in the picture: a payee paid from the same account or
card in at least three of the last six months, about once a month, about the same amount."""

from __future__ import annotations

from datetime import date

from samgak.mydata.models import MydataAsset, MydataRecord
from samgak.mydata.portfolio import AssetLine, Portfolio, _flows

TODAY = date(2026, 11, 30)
ACCOUNT = MydataAsset(id=1, kind="deposit", org_code="KBNK000089", name="입출금", masked="••1234")
CARD = MydataAsset(id=2, kind="card", org_code="WRCD000041", name="카드의정석", masked="1234-****")


def picture() -> Portfolio:
    return Portfolio(
        assets=[AssetLine(a.id, a.org_code, a.kind, a.name, a.masked, 0) for a in (ACCOUNT, CARD)]
    )


def paid(
    asset: MydataAsset, month: str, day: str, amount: int, what: str
) -> tuple[MydataRecord, MydataAsset]:
    kind = "approval" if asset is CARD else "deposit_tx"
    return MydataRecord(kind=kind, at=f"{month}{day}120000", amount=-amount, description=what), asset


MONTHS = ["202606", "202607", "202608", "202609", "202610", "202611"]


def test_the_kt_bill_paid_by_card_every_month_is_recurring_and_its_autopay() -> None:
    rows = [paid(CARD, m, "25", 55_000 + 1_000 * n, "KT 통신요금") for n, m in enumerate(MONTHS)]
    rows += [paid(ACCOUNT, m, "10", 300_000, "적금 자동이체") for m in MONTHS[2:]]
    shown = picture()
    _flows(shown, rows, TODAY)
    assert [(r.what, r.paid_from.id, r.months) for r in shown.recurring] == [
        ("적금 자동이체", 1, 4),
        ("KT 통신요금", 2, 6),
    ]
    assert shown.recurring[1].amount == 58_000  # the median month
    assert shown.kt_autopay is not None and shown.kt_autopay.id == CARD.id


def test_frequent_shops_two_month_payees_and_changing_amounts_are_not_recurring() -> None:
    rows = [paid(CARD, m, d, 4_500, "스타벅스") for m in MONTHS for d in ("03", "11", "19")]
    rows += [paid(ACCOUNT, m, "05", 100_000, "월세") for m in MONTHS[:2]]
    rows += [
        paid(ACCOUNT, m, "07", a, "병원") for m, a in zip(MONTHS, (10_000, 80_000, 12_000), strict=False)
    ]
    shown = picture()
    _flows(shown, rows, TODAY)
    assert shown.recurring == [] and shown.kt_autopay is None


def test_card_spending_this_month_by_category_largest_first() -> None:
    from samgak.mydata.categories import category_of

    assert [category_of(m) for m in ("GS25 역삼점", "스타벅스 강남", "KT 통신요금", "동네 철물점")] == [
        "편의점",
        "카페",
        "통신",
        "기타",
    ]
    rows = [
        (
            MydataRecord(
                kind="approval", at="20261103120000", amount=-a, description=m, category=category_of(m)
            ),
            CARD,
        )
        for m, a in (("스타벅스", 5_000), ("이디야커피", 4_000), ("이마트", 30_000), ("동네 철물점", 2_000))
    ]
    shown = picture()
    _flows(shown, rows, TODAY)
    assert shown.card_by_category == [("마트", 30_000), ("카페", 9_000), ("기타", 2_000)]
    assert shown.card_spending_month == 41_000
