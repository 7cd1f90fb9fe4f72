"""Bank holder: 개별인증 end to end, 은행-001..004 and 008..010, and their errors."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.conftest import Operator, holding, tran_id

BANK = ("woori-bank", "WRBK000020")


def headers(token: str, api_type: str = "user-search") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "x-api-tran-id": tran_id(), "x-api-type": api_type}


@pytest.fixture(scope="module")
async def linked(operator: Operator, alliance: Any) -> tuple[Any, Any, dict[str, Any]]:
    person, spec = holding(alliance, BANK[0], "deposit")
    tokens = await operator.link(BANK[0], BANK[1], person)
    return person, spec, tokens


async def test_token_carries_list_scope_and_standard_fields(linked: Any) -> None:
    _, _, tokens = linked
    assert tokens["token_type"] == "Bearer"
    assert "bank.list" in tokens["scope"].split() and "bank.deposit" in tokens["scope"].split()
    assert tokens["expires_in"] == str(90 * 86400)
    assert tokens["refresh_token"].startswith("sgk_rt_")


async def test_account_list_echoes_tran_id_and_uses_strings(client: Any, linked: Any) -> None:
    _, spec, tokens = linked
    h = headers(tokens["access_token"])
    response = await client.get(
        "/inst/woori-bank/v1/bank/accounts", params={"org_code": BANK[1], "limit": "500"}, headers=h
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-api-tran-id"] == h["x-api-tran-id"]
    body = response.json()
    assert body["rsp_code"] == "00000"
    numbers = [a["account_num"] for a in body["account_list"]]
    assert spec.asset_key in numbers
    assert body["account_cnt"] == str(len(numbers))
    assert all(a["is_consent"] == "true" for a in body["account_list"])
    assert "next_page" not in body


async def test_deposit_transactions_balance_chain(client: Any, linked: Any) -> None:
    _, spec, tokens = linked
    response = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/transactions",
        json={
            "org_code": BANK[1],
            "account_num": spec.asset_key,
            "from_date": "20220101",
            "to_date": _today(),
            "limit": 500,
        },
        headers=headers(tokens["access_token"]),
    )
    assert response.status_code == 200, response.text
    trans = response.json()["trans_list"]
    assert trans, "five years of history"
    for newer, older in itertools.pairwise(trans):
        assert newer["trans_dtime"] >= older["trans_dtime"]
        sign = -1 if newer["trans_type"] == "03" else 1
        assert int(older["balance_amt"]) + sign * int(newer["trans_amt"]) == int(newer["balance_amt"])
    detail = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/detail",
        json={"org_code": BANK[1], "account_num": spec.asset_key},
        headers=headers(tokens["access_token"]),
    )
    full = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/transactions",
        json={
            "org_code": BANK[1],
            "account_num": spec.asset_key,
            "from_date": _today(),
            "to_date": _today(),
            "limit": "1",
        },
        headers=headers(tokens["access_token"]),
    )
    assert (
        detail.json()["detail_list"][0]["balance_amt"] == trans[0]["balance_amt"] or full.json()["trans_list"]
    )


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"limit": 0}, 400, "40001"),
        ({"limit": 501}, 400, "40001"),
        ({"from_date": "2024-01-01"}, 400, "40001"),
        ({"from_date": "20250231"}, 400, "40001"),
        ({"org_code": "XXXX000000"}, 403, "40303"),
        ({"account_num": "999999999999"}, 404, "40402"),
        ({"next_page": "%%%"}, 400, "40001"),
    ],
)
async def test_bad_input_gets_standard_error(
    client: Any, linked: Any, change: dict[str, Any], status: int, code: str
) -> None:
    _, spec, tokens = linked
    body = {
        "org_code": BANK[1],
        "account_num": spec.asset_key,
        "from_date": "20250101",
        "to_date": _today(),
        "limit": 10,
    } | change
    response = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/transactions",
        json=body,
        headers=headers(tokens["access_token"]),
    )
    assert response.status_code == status, response.text
    assert response.json()["rsp_code"] == code
    assert "detail" not in response.json()


async def test_missing_header_and_bad_token(client: Any, linked: Any) -> None:
    _, _, tokens = linked
    response = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1], "limit": 10},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert (response.status_code, response.json()["rsp_code"]) == (400, "40002")
    response = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1], "limit": 10},
        headers=headers(tokens["access_token"][:-3] + "abc"),
    )
    assert (response.status_code, response.json()["rsp_code"]) == (401, "40101")


async def test_unconsented_asset_and_missing_scope(client: Any, operator: Operator, alliance: Any) -> None:
    for index in range(60):
        person = alliance.person(index)
        deposits = [s for s in alliance.holdings(person).get(BANK[0], []) if s.kind == "deposit"]
        if len(deposits) >= 2:
            break
    else:
        pytest.skip("no customer with two deposit accounts in the sample")
    tokens = await operator.link(BANK[0], BANK[1], person, choose=[])  # nothing chosen: list scope only
    assert tokens["scope"] == "bank.list"
    response = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/basic",
        json={"org_code": BANK[1], "account_num": deposits[0].asset_key},
        headers=headers(tokens["access_token"]),
    )
    assert (response.status_code, response.json()["rsp_code"]) == (401, "40104")


async def test_refresh_then_revoke(client: Any, operator: Operator, alliance: Any) -> None:
    person, _spec = holding(alliance, BANK[0], "deposit", start=5)
    tokens = await operator.link(BANK[0], BANK[1], person)
    refreshed = await client.post(
        "/inst/woori-bank/oauth/2.0/token",
        data={
            "org_code": BANK[1],
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": operator.client_id,
            "client_secret": operator.secret,
        },
        headers={"x-api-tran-id": tran_id()},
    )
    assert refreshed.status_code == 200, refreshed.text
    new_access = refreshed.json()["access_token"]
    ok = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1], "limit": 5},
        headers=headers(new_access),
    )
    assert ok.status_code == 200
    old = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1], "limit": 5},
        headers=headers(tokens["access_token"]),
    )
    assert old.json()["rsp_code"] == "40103"
    revoked = await client.post(
        "/inst/woori-bank/oauth/2.0/revoke",
        data={
            "org_code": BANK[1],
            "token": tokens["refresh_token"],
            "client_id": operator.client_id,
            "client_secret": operator.secret,
        },
        headers={"x-api-tran-id": tran_id()},
    )
    assert revoked.json()["rsp_code"] == "00000"
    after = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1], "limit": 5},
        headers=headers(new_access),
    )
    assert (after.status_code, after.json()["rsp_code"]) == (401, "40103")
    again = await client.post(
        "/inst/woori-bank/oauth/2.0/revoke",
        data={
            "org_code": BANK[1],
            "token": tokens["refresh_token"],
            "client_id": operator.client_id,
            "client_secret": operator.secret,
        },
        headers={"x-api-tran-id": tran_id()},
    )
    assert again.json()["rsp_code"] == "99999"


async def test_code_is_single_use_and_wrong_secret_rejected(
    client: Any, operator: Operator, alliance: Any
) -> None:
    _person, _ = holding(alliance, BANK[0], "deposit", start=9)
    wrong = await client.post(
        "/inst/woori-bank/oauth/2.0/token",
        data={
            "org_code": BANK[1],
            "grant_type": "authorization_code",
            "code": "nope",
            "client_id": operator.client_id,
            "client_secret": "sgk_cs_wrong",
            "redirect_uri": operator.redirect_uri,
        },
        headers={"x-api-tran-id": tran_id()},
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")


async def test_scheduled_calls_limited_per_week(client: Any, linked: Any) -> None:
    _, spec, tokens = linked
    body = {"org_code": BANK[1], "account_num": spec.asset_key}
    first = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/basic",
        json=body,
        headers=headers(tokens["access_token"], "scheduled"),
    )
    assert first.status_code == 200, first.text
    second = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/basic",
        json=body,
        headers=headers(tokens["access_token"], "scheduled"),
    )
    assert (second.status_code, second.json()["rsp_code"]) == (429, "42901")


def _today() -> str:
    from samgak.kit.timeutil import today_kst

    return f"{today_kst():%Y%m%d}"


async def test_search_timestamp_answers_no_change(client: Any, linked: Any) -> None:
    """Standard 2.6: a client holding the newest list gets no data; 0 always gets the list."""
    _, spec, tokens = linked
    first = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1], "search_timestamp": "0"},
        headers=headers(tokens["access_token"]),
    )
    stamp = first.json()["search_timestamp"]
    assert len(stamp) == 14 and first.json()["account_cnt"] != "0"
    again = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1], "search_timestamp": stamp},
        headers=headers(tokens["access_token"]),
    )
    assert (again.json()["account_cnt"], again.json()["account_list"]) == ("0", [])
    basic = await client.post(
        "/inst/woori-bank/v1/bank/accounts/deposit/basic",
        json={"org_code": BANK[1], "account_num": spec.asset_key, "search_timestamp": stamp},
        headers=headers(tokens["access_token"]),
    )
    assert basic.json()["basic_cnt"] == "0"


async def test_values_accepted_as_numbers_or_strings(client: Any, linked: Any) -> None:
    _, spec, tokens = linked
    pages = []
    for limit in (3, "3"):
        response = await client.post(
            "/inst/woori-bank/v1/bank/accounts/deposit/transactions",
            json={
                "org_code": BANK[1],
                "account_num": spec.asset_key,
                "from_date": 20250101,
                "to_date": _today(),
                "limit": limit,
            },
            headers=headers(tokens["access_token"]),
        )
        assert response.status_code == 200, response.text
        pages.append(response.json()["trans_list"])
    assert pages[0] == pages[1] and len(pages[0]) == 3


async def test_malformed_tran_id_is_40001(client: Any, linked: Any) -> None:
    _, _, tokens = linked
    response = await client.get(
        "/inst/woori-bank/v1/bank/accounts",
        params={"org_code": BANK[1]},
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "x-api-tran-id": "has spaces and is far too long!!",
        },
    )
    assert (response.status_code, response.json()["rsp_code"]) == (400, "40001")


async def test_memo_only_with_its_consent(client: Any, operator: Operator, alliance: Any) -> None:
    """적요 (trans_memo) is sent only when the customer consented to it (is_consent_trans_memo)."""
    for memo, start in (("true", 20), ("false", 21)):
        person, spec = holding(alliance, BANK[0], "deposit", start=start)
        tokens = await operator.link(BANK[0], BANK[1], person, extra={"trans_memo": memo})
        response = await client.post(
            "/inst/woori-bank/v1/bank/accounts/deposit/transactions",
            json={
                "org_code": BANK[1],
                "account_num": spec.asset_key,
                "from_date": "20220101",
                "to_date": _today(),
                "limit": 50,
            },
            headers=headers(tokens["access_token"]),
        )
        trans = response.json()["trans_list"]
        assert trans and all(("trans_memo" in t) == (memo == "true") for t in trans)
        assert all(t["currency_code"] == "KRW" for t in trans)
