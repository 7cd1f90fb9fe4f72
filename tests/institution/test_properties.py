"""Invariants proven over many inputs: pagination completeness, generator determinism."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from samgak.institution.core.synthetic import SyntheticAlliance
from tests.conftest import Operator, holding, tran_id

BANK = ("woori-bank", "WRBK000020")


async def _walk(
    client: Any, token: str, account: str, limit: int, start: str, end: str
) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(10_000):
        body: dict[str, Any] = {
            "org_code": BANK[1],
            "account_num": account,
            "from_date": start,
            "to_date": end,
            "limit": str(limit),
        }
        if cursor:
            body["next_page"] = cursor
        response = await client.post(
            "/inst/woori-bank/v1/bank/accounts/deposit/transactions",
            json=body,
            headers={
                "Authorization": f"Bearer {token}",
                "x-api-tran-id": tran_id(),
                "x-api-type": "user-search",
            },
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert int(page["trans_cnt"]) <= limit
        seen += [(t["trans_dtime"], t["trans_no"]) for t in page["trans_list"]]
        cursor = page.get("next_page")
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


async def test_every_item_exactly_once_for_any_limit(client: Any, operator: Operator, alliance: Any) -> None:
    """Paginating with any limit returns every transaction exactly once, newest first."""
    from samgak.kit.timeutil import today_kst

    person, spec = holding(alliance, BANK[0], "deposit", start=2)
    tokens = await operator.link(BANK[0], BANK[1], person)
    end = f"{today_kst():%Y%m%d}"
    start = f"{today_kst().year - 4}0101"
    everything = await _walk(client, tokens["access_token"], spec.asset_key, 500, start, end)
    assert len(everything) == len(set(everything)) > 0
    limits = st.integers(min_value=1, max_value=500)

    # Hypothesis drives synchronous tests; draw the limits up front and walk them on the running loop.
    drawn: list[int] = []

    @settings(max_examples=25, deadline=None, database=None)
    @given(limit=limits)
    def collect(limit: int) -> None:
        drawn.append(limit)

    collect()
    for limit in sorted(set(drawn)):
        walked = await _walk(client, tokens["access_token"], spec.asset_key, limit, start, end)
        assert walked == everything, f"limit {limit}"


@settings(max_examples=30, deadline=None)
@given(index=st.integers(min_value=0, max_value=10**7), seed=st.integers(min_value=0, max_value=2**31))
def test_generator_is_deterministic(index: int, seed: int) -> None:
    """Same seed and day → identical person, holdings and history, whatever was generated before."""
    first = SyntheticAlliance(seed, date(2026, 11, 24))
    second = SyntheticAlliance(seed, date(2026, 11, 24))
    second.person(index + 1)  # other work in between must not matter
    person = first.person(index)
    assert person == second.person(index)
    held = first.holdings(person)
    assert repr(held) == repr(second.holdings(second.person(index)))
    for member in held:
        assert repr(first.history(person, member)) == repr(second.history(second.person(index), member))


def test_history_is_consistent_across_members(alliance: SyntheticAlliance) -> None:
    """A card bill paid from a member bank account appears there on its due day for the same amount."""
    checked = 0
    for index in range(60):
        person = alliance.person(index)
        held = alliance.holdings(person)
        for card_co in ("woori-card", "bc-card"):
            cards = [s for s in held.get(card_co, []) if s.detail["card_type"] == "01"]
            if not cards or cards[0].plan["pay_bank"] not in held:
                continue
            bank = cards[0].plan["pay_bank"]
            bills = alliance.history(person, card_co, held).card_bills
            bank_rows = alliance.history(person, bank, held).deposit_tx[cards[0].plan["pay_account"]]
            company = "우리카드" if card_co == "woori-card" else "비씨카드"
            paid = {(r[0][:8], r[4]) for r in bank_rows if r[6] == f"{company} 결제대금"}
            opened = bank_rows[0][0][:8]  # bills due before the account existed were paid elsewhere
            due = {
                (b["paid_out_date"], b["charge_amt"])
                for b in bills
                if opened < b["paid_out_date"] <= f"{alliance.as_of:%Y%m%d}"
            }
            assert due and due <= paid
            checked += 1
    assert checked > 0
