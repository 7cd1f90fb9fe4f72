"""The operator's holder client: pages read to the end, passing failures retried with back-off,
refusals not retried, one x-api-tran-id per call. The holder here is an httpx MockTransport."""

from __future__ import annotations

import json

import httpx
import pytest

from samgak.kit.http import HttpxSender
from samgak.mydata import holder_client
from samgak.mydata.holder_client import HolderClient, HolderError


def client(handler: httpx.MockTransport) -> HolderClient:
    http = httpx.AsyncClient(base_url="http://holder.test/inst/kt", transport=handler)
    return HolderClient(
        HttpxSender(http), org_code="KTTC000030", operator_org="SAMGAKMD01", client_id="c", client_secret="s"
    )


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(holder_client, "BACKOFF", 0.001)


async def test_passing_failures_are_retried_with_the_same_tran_id() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-api-tran-id"])
        if len(seen) < 3:
            return httpx.Response(503, json={"rsp_code": "50001", "rsp_msg": "시스템장애"})
        return httpx.Response(200, json={"rsp_code": "00000", "telecom_list": []})

    body = await client(httpx.MockTransport(answer)).call(
        "GET", "/v1/telecom/telecoms", "t", api_type="user-refresh", args={}
    )
    assert body["rsp_code"] == "00000" and len(seen) == 3 and len(set(seen)) == 1


async def test_refusals_are_not_retried_and_ask_for_relinking() -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(401, json={"rsp_code": "40103", "rsp_msg": "폐기된 토큰"})

    with pytest.raises(HolderError) as refused:
        await client(httpx.MockTransport(answer)).call(
            "GET", "/v1/telecom/telecoms", "t", api_type="user-refresh", args={}
        )
    assert calls == 1 and refused.value.needs_relink


async def test_pages_are_followed_until_next_page_is_absent() -> None:
    stamps = []

    def answer(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("next_page")
        stamps.append(request.url.params.get("search_timestamp"))
        page = int(cursor or 0)
        body = {"rsp_code": "00000", "trans_list": [{"n": page}], "search_timestamp": f"2026113000000{page}"}
        if page < 4:
            body["next_page"] = str(page + 1)
        return httpx.Response(200, content=json.dumps(body))

    listing = await client(httpx.MockTransport(answer)).all_pages(
        "GET",
        "/v1/x",
        "t",
        api_type="user-refresh",
        args={"limit": "500", "search_timestamp": "20261101000000"},
        list_field="trans_list",
    )
    assert [i["n"] for i in listing.items] == [0, 1, 2, 3, 4]
    # search_timestamp goes with the first page only, and the first page's answer is kept (2.6)
    assert stamps == ["20261101000000", None, None, None, None]
    assert listing.search_timestamp == "20261130000000"


async def test_an_asset_that_fails_is_left_out_and_the_others_kept() -> None:
    import asyncio
    from datetime import date

    from samgak.mydata.collect import HolderResult, Window, _Reader

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/telecoms"):
            listed = [
                {
                    "mgmt_id": m,
                    "is_consent": "true",
                    "telecom_num": "010****0000",
                    "type": "01",
                    "status": "01",
                }
                for m in ("good", "bad")
            ]
            return httpx.Response(200, json={"rsp_code": "00000", "telecom_list": listed})
        if json.loads(request.content).get("mgmt_id") == "bad":
            return httpx.Response(403, json={"rsp_code": "40305", "rsp_msg": "잘못된 자산 요청"})
        return httpx.Response(200, json={"rsp_code": "00000", "charge_list": [], "trans_list": []})

    result = HolderResult("KTTC000030", "KT")
    reader = _Reader(
        client(httpx.MockTransport(answer)),
        "t",
        "user-refresh",
        Window.months_back(12, date(2026, 11, 25)),
        result,
        asyncio.Semaphore(4),
        frozenset({"telecom.list", "telecom.mgmt"}),
    )
    await reader.telecom()
    assert [a.key for a in result.assets] == ["good"]
    assert result.error is not None and result.error.rsp_code == "40305" and result.error.needs_relink
