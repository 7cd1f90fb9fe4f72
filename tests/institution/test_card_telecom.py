"""카드-001..006, 카드-008/009 and 통신-001..004 through an operator linked by 개별인증.

Expected values come from the same deterministic generator the member's core reads, so each
page is checked against what the customer really holds, not only for its shape.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from samgak.institution.core.synthetic import SyntheticAlliance
from samgak.kit.timeutil import add_months, today_kst
from tests.conftest import CUSTOMERS, Operator, holding, tran_id

CARD = ("woori-card", "WRCD000041")
KT = ("kt", "KTTC000030")


def _strings_only(value: Any) -> bool:
    """Every leaf a JSON string (첨부2)."""
    if isinstance(value, dict):
        return all(_strings_only(v) for v in value.values())
    if isinstance(value, list):
        return all(_strings_only(v) for v in value)
    return isinstance(value, str)


class Holder:
    """One linked member: GET/POST with the token, and every page of a paged API."""

    def __init__(self, client: httpx.AsyncClient, slug: str, org_code: str, token: str) -> None:
        self.client, self.base, self.org_code, self.token = client, f"/inst/{slug}/v1", org_code, token

    def _headers(self) -> dict[str, str]:
        return {
            "authorization": f"Bearer {self.token}",
            "x-api-tran-id": tran_id(),
            "x-api-type": "user-search",
        }

    async def get(self, path: str, **params: str) -> httpx.Response:
        return await self.client.get(
            self.base + path, params={"org_code": self.org_code, **params}, headers=self._headers()
        )

    async def post(self, path: str, **body: str) -> httpx.Response:
        return await self.client.post(
            self.base + path, json={"org_code": self.org_code, **body}, headers=self._headers()
        )

    async def pages(self, method: str, path: str, list_name: str, **args: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(200):
            extra = {"next_page": cursor} if cursor else {}
            response = await (self.get if method == "GET" else self.post)(path, **args, **extra)
            assert response.status_code == 200, response.text
            body = response.json()
            assert _strings_only(body)
            assert body[list_name.replace("_list", "_cnt")] == str(len(body[list_name]))
            items += body[list_name]
            cursor = body.get("next_page")
            if cursor is None:
                return items
        raise AssertionError("pagination did not end")


async def _link(
    client: httpx.AsyncClient, operator: Operator, member: tuple[str, str], person: Any
) -> Holder:
    token = await operator.link(member[0], member[1], person)
    return Holder(client, member[0], member[1], token["access_token"])


def _mobile_user(alliance: SyntheticAlliance) -> tuple[Any, Any]:
    """A KT customer with a mobile contract and carrier-billing payments in the last year."""
    since = f"{today_kst() - timedelta(days=300):%Y%m%d}"
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        history = alliance.history(person, "kt")
        for spec in alliance.holdings(person).get("kt", []):
            if (
                spec.detail["type"] == "01"
                and sum(r[0] >= since for r in history.telecom_paid[spec.asset_key]) > 3
            ):
                return person, spec
    pytest.skip("no mobile customer with micro-payments in this alliance")


async def test_card_list_and_basic(
    client: httpx.AsyncClient, operator: Operator, alliance: SyntheticAlliance
) -> None:
    person, spec = holding(alliance, "woori-card", "card")
    holder = await _link(client, operator, CARD, person)
    response = await holder.get("/card/cards")
    assert response.status_code == 200, response.text
    body = response.json()
    assert _strings_only(body) and "next_page" not in body and len(body["search_timestamp"]) == 14
    cards = {c["card_id"]: c for c in body["card_list"]}
    assert cards[spec.asset_key] == {
        "card_id": spec.asset_key,
        "card_num": spec.detail["card_num"],
        "is_consent": "true",
        "card_name": spec.detail["card_name"],
        "card_member": "1",
        "card_type": spec.detail["card_type"],
    }
    unchanged = (await holder.get("/card/cards", search_timestamp=body["search_timestamp"])).json()
    assert (unchanged["card_cnt"], unchanged["card_list"]) == ("0", [])

    basic = (await holder.get(f"/card/cards/{spec.asset_key}")).json()
    assert _strings_only(basic)
    assert basic["card_type"] == spec.detail["card_type"]
    assert basic["annual_fee"] == str(spec.detail["annual_fee"])
    assert basic["account_num"] == spec.detail["account_num"]
    assert basic["is_cash_card"] == ("true" if spec.detail["is_cash_card"] else "false")


async def test_card_approvals_match_the_core(
    client: httpx.AsyncClient, operator: Operator, alliance: SyntheticAlliance
) -> None:
    person, spec = holding(alliance, "woori-card", "card")
    holder = await _link(client, operator, CARD, person)
    today = today_kst()
    first, last = f"{today - timedelta(days=364):%Y%m%d}", f"{today:%Y%m%d}"
    rows = alliance.history(person, "woori-card").card_approvals[spec.asset_key]

    def in_window(row: dict[str, Any]) -> bool:
        cancelled = row["trans_dtime"] is not None and first <= row["trans_dtime"][:8] <= last
        return first <= row["approved_dtime"][:8] <= last or cancelled

    args = {"from_date": first, "to_date": last, "limit": "37"}
    domestic = await holder.pages(
        "GET", f"/card/cards/{spec.asset_key}/approval-domestic", "approved_list", **args
    )
    expected = [r for r in rows if r["country_code"] is None and in_window(r)]
    assert sorted(a["approved_num"] for a in domestic) == sorted(r["approved_num"] for r in expected)
    assert [a["approved_dtime"] for a in domestic] == sorted(
        (a["approved_dtime"] for a in domestic), reverse=True
    )
    assert all("merchant_regno" in a for a in domestic)
    assert all("country_code" not in a for a in domestic)

    overseas = await holder.pages(
        "GET", f"/card/cards/{spec.asset_key}/approval-overseas", "approved_list", **args
    )
    expected = [r for r in rows if r["country_code"] is not None and in_window(r)]
    assert sorted(a["approved_num"] for a in overseas) == sorted(r["approved_num"] for r in expected)
    by_num = {r["approved_num"]: r for r in expected}
    for item in overseas:
        row = by_num[item["approved_num"]]
        assert (item["approved_amt"], item["krw_amt"]) == (row["foreign_amt"], str(row["approved_amt"]))
        assert (item["country_code"], item["currency_code"]) == (row["country_code"], row["currency_code"])


async def test_cancellation_in_window_of_an_earlier_approval(
    client: httpx.AsyncClient, operator: Operator, alliance: SyntheticAlliance
) -> None:
    """카드-008 returns an approval cancelled inside the window even when it was approved before it."""
    oldest = f"{today_kst() - timedelta(days=360):%Y%m%d}"
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        for spec in alliance.holdings(person).get("woori-card", []):
            for row in alliance.history(person, "woori-card").card_approvals[spec.asset_key]:
                late = row["trans_dtime"] and row["trans_dtime"][:8] > row["approved_dtime"][:8] >= oldest
                if late and row["country_code"] is None:
                    holder = await _link(client, operator, CARD, person)
                    day = row["trans_dtime"][:8]
                    found = await holder.pages(
                        "GET",
                        f"/card/cards/{spec.asset_key}/approval-domestic",
                        "approved_list",
                        from_date=day,
                        to_date=day,
                        limit="500",
                    )
                    match = [a for a in found if a["approved_num"] == row["approved_num"]]
                    assert (
                        match and match[0]["status"] == "02" and match[0]["trans_dtime"] == row["trans_dtime"]
                    )
                    return
    pytest.skip("no cancellation on a later day in this alliance")


async def test_card_points_bills_and_payments(
    client: httpx.AsyncClient, operator: Operator, alliance: SyntheticAlliance
) -> None:
    today = today_kst()
    first = "{}{:02d}".format(*add_months(today.year, today.month, -11))
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        history = alliance.history(person, "woori-card")
        if sum(b["charge_month"] >= first for b in history.card_bills) > 3:
            break
    else:
        pytest.skip("nobody with card bills")
    holder = await _link(client, operator, CARD, person)

    points = (await holder.get("/card/points")).json()
    assert _strings_only(points)
    assert points["point_list"] == [
        {"point_name": n, "remain_point_amt": str(r), "expiring_point_amt": str(e)}
        for n, r, e in history.points
    ]

    bills = await holder.pages(
        "GET", "/card/bills", "bill_list", from_month=first, to_month=f"{today:%Y%m}", limit="2"
    )
    expected = [b for b in history.card_bills if b["charge_month"] >= first]
    assert [b["charge_month"] for b in bills] == sorted((b["charge_month"] for b in expected), reverse=True)
    assert bills[0]["charge_amt"] == str(max(expected, key=lambda b: b["charge_month"])["charge_amt"])

    month = expected[-1]
    details = await holder.pages(
        "GET", "/card/bills/detail", "bill_detail_list", charge_month=month["charge_month"], limit="3"
    )
    assert [d["paid_amt"] for d in details] == [str(i["paid_amt"]) for i in month["details"]]
    assert [d.get("merchant_regno", "") for d in details] == [i["merchant_regno"] for i in month["details"]]
    missing = await holder.get("/card/bills/detail", limit="3")
    assert missing.json()["rsp_code"] == "40001"

    payments = (await holder.get("/card/payments")).json()
    due = [b for b in history.card_bills if b["paid_out_date"] >= f"{today:%Y%m%d}"]
    assert payments["pay_list"] == [
        {"seqno": b["seqno"], "pay_due_date": b["paid_out_date"], "pay_amt": str(b["charge_amt"])}
        for b in due
    ]


async def test_card_errors(
    client: httpx.AsyncClient, operator: Operator, alliance: SyntheticAlliance
) -> None:
    person, spec = holding(alliance, "woori-card", "card")
    holder = await _link(client, operator, CARD, person)
    today = f"{today_kst():%Y%m%d}"
    path = f"/card/cards/{spec.asset_key}/approval-domestic"
    assert (await holder.get(path, from_date=today, to_date=today)).json()["rsp_code"] == "40001"  # no limit
    wrong_org = await holder.client.get(
        holder.base + path,
        params={"org_code": "WRBK000020", "from_date": today, "to_date": today, "limit": "5"},
        headers=holder._headers(),
    )
    assert wrong_org.json()["rsp_code"] == "40303"
    unknown = await holder.get("/card/cards/WC99999999900")
    assert unknown.json()["rsp_code"] == "40402"


async def test_telecom_contracts_bills_and_payments(
    client: httpx.AsyncClient, operator: Operator, alliance: SyntheticAlliance
) -> None:
    person, spec = _mobile_user(alliance)
    holder = await _link(client, operator, KT, person)
    contracts = (await holder.get("/telecom/telecoms")).json()
    assert _strings_only(contracts)
    mine = {c["mgmt_id"]: c for c in contracts["telecom_list"]}
    assert mine[spec.asset_key] == {
        "mgmt_id": spec.asset_key,
        "is_consent": "true",
        "telecom_num": spec.detail["telecom_num"],
        "type": "01",
        "status": spec.status,
    }

    today = today_kst()
    first = "{}{:02d}".format(*add_months(today.year, today.month, -11))
    window = {"mgmt_id": spec.asset_key, "from_month": first, "to_month": f"{today:%Y%m}"}
    months = [r for r in alliance.history(person, "kt").telecom_months[spec.asset_key] if r[0] >= first]
    charges = (await holder.post("/telecom/telecoms/bills", **window)).json()
    assert charges["charge_list"] == [
        {"charge_month": m, "charge_amt": str(c), "charge_date": d} for m, c, d, _p, _pm in reversed(months)
    ]
    paid = (await holder.post("/telecom/telecoms/transactions", **window)).json()
    assert "next_page" not in paid
    assert paid["trans_list"] == [
        {"trans_month": m, "paid_amt": str(p), **({"pay_method": pm} if pm else {})}
        for m, _c, _d, p, pm in reversed(months)
        if p is not None
    ]

    since = f"{today - timedelta(days=300):%Y%m%d}"
    trans = await holder.pages(
        "POST",
        "/telecom/telecoms/paid-transactions",
        "trans_list",
        mgmt_id=spec.asset_key,
        from_date=since,
        to_date=f"{today:%Y%m%d}",
        limit="2",
    )
    rows = [r for r in alliance.history(person, "kt").telecom_paid[spec.asset_key] if r[0][:8] >= since]
    assert sorted((t["trans_date"], t["trans_amt"], t["trans_title"]) for t in trans) == sorted(
        (r[0][:8], str(r[1]), r[4]) for r in rows
    )
    assert [t["trans_date"] for t in trans] == sorted((t["trans_date"] for t in trans), reverse=True)
    assert all(t["merchant_regno"] for t in trans)


async def test_telecom_missed_month_has_no_pay_method(
    client: httpx.AsyncClient, operator: Operator, alliance: SyntheticAlliance
) -> None:
    """통신-003: a month billed but not paid is ``paid_amt`` 0 without ``pay_method``."""
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        for key, rows in alliance.history(person, "kt").telecom_months.items():
            missed = [r for r in rows if r[3] == 0]
            if missed:
                holder = await _link(client, operator, KT, person)
                month = missed[-1][0]
                body = (
                    await holder.post(
                        "/telecom/telecoms/transactions", mgmt_id=key, from_month=month, to_month=month
                    )
                ).json()
                assert body["trans_list"] == [{"trans_month": month, "paid_amt": "0"}]
                return
    pytest.skip("no missed telecom month in this alliance")
