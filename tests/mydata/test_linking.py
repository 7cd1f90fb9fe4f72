"""MyData linking end to end: one passkey signature links every chosen member, the collector brings
their data in once (no duplicates on refresh, stable asset ids), the dashboard shows one picture,
and a withdrawal stops collection and deletes what it brought, with a receipt."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.conftest import CUSTOMERS
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol
from tests.identity.test_signup import prove

ALL = ["WRBK000020", "KBNK000089", "WRCD000041", "BCCD000031", "KTTC000030"]


def customer_of_every_member(alliance: Any, start: int) -> Any:
    for index in range(start, CUSTOMERS):
        person = alliance.person(index)
        held = alliance.holdings(person)
        if {"woori-bank", "woori-card", "kt"} <= set(held) and any(
            s.kind == "deposit" for s in held["woori-bank"]
        ):
            return person
    raise LookupError("nobody banks, carries a card and a KT line")


@pytest.fixture(scope="module")
async def linked(app: Any, alliance: Any) -> Any:
    person = customer_of_every_member(alliance, 55)
    authenticator = SoftAuthenticator()
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    assert (await prove(browser, person)).status_code == 303
    assert (await enrol(browser, authenticator)).status_code == 201
    asked = await browser.post(
        "/mydata/link",
        data={
            "org": ALL,
            "purpose": "통합 자산관리",
            "scheduled": "true",
            "cycle": "1/w",
            "merchant_names": "true",
        },
    )
    assert asked.status_code == 303, asked.text
    sign_url = urlparse(asked.headers["location"])
    cert_tx_id = sign_url.path.rsplit("/", 1)[1]
    page = await browser.get(f"{sign_url.path}?{sign_url.query}")
    assert page.status_code == 200 and "우리은행 전송요구" in page.text and "KT 전송요구" in page.text
    started = (await browser.post(f"/id/sign/{cert_tx_id}/options")).json()
    assert len(started["consents"]) == len(ALL)  # one signature covers every member
    signed = await browser.post(
        f"/id/sign/{cert_tx_id}",
        json={"challenge_id": started["challenge_id"], "credential": authenticator.get(started["options"])},
    )
    assert signed.status_code == 200, signed.text
    done = await browser.get(parse_qs(sign_url.query)["next"][0])
    yield {"browser": browser, "person": person, "done": done, "alliance": alliance}
    await browser.aclose()


async def portfolio(browser: httpx.AsyncClient) -> dict[str, Any]:
    answer = await browser.get("/api/mydata/portfolio")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_one_signature_links_every_member_the_person_uses(linked: Any) -> None:
    held = linked["alliance"].holdings(linked["person"])
    text = linked["done"].text
    assert linked["done"].status_code == 200, text
    for slug, name in (("woori-bank", "우리은행"), ("woori-card", "우리카드"), ("kt", "KT")):
        assert slug in held and f"{name} 연결 완료" in text
    picture = await portfolio(linked["browser"])
    kinds = {a["kind"] for a in picture["assets"]}
    assert {"deposit", "card", "telecom"} <= kinds
    deposits = [s for s in held["woori-bank"] if s.kind == "deposit"]
    mine = [a for a in picture["assets"] if a["org_code"] == "WRBK000020" and a["kind"] == "deposit"]
    assert len(mine) == len(deposits)
    assert picture["net_worth"] == picture["deposits_total"] - picture["loans_total"]
    assert any(m["spending"] > 0 for m in picture["months"])


async def test_refresh_adds_no_duplicates_and_keeps_asset_ids(linked: Any) -> None:
    browser = linked["browser"]
    before = await portfolio(browser)
    page = await browser.get("/mydata/consents")
    calls_before = page.text.count("<tr>")
    refreshed = await browser.post("/mydata/refresh")
    assert refreshed.status_code == 303 and refreshed.headers["location"] == "/mydata"
    after = await portfolio(browser)
    assert [a["id"] for a in after["assets"]] == [a["id"] for a in before["assets"]]
    assert after["months"] == before["months"] and after["telecom_bills"] == before["telecom_bills"]
    assert (await browser.get("/mydata/consents")).text.count("<tr>") > calls_before  # logged
    dashboard = await browser.get("/mydata")
    assert dashboard.status_code == 200 and re.search(r"\d{1,3}(,\d{3})*원", dashboard.text)


async def test_scheduled_sweep_collects_due_links_inside_non_peak_windows_only(linked: Any, app: Any) -> None:
    from datetime import datetime, timedelta

    from sqlalchemy import text

    from samgak.kit.timeutil import KST, utcnow
    from samgak.mydata import sweep

    database, service = app.state.platform_db, app.state.mydata
    async with database.read_sessions() as session:
        rows = (await session.execute(text("SELECT subject, cycle FROM mydata_link"))).all()
    assert rows and all(cycle == "1/w" for _, cycle in rows)  # the consent asked for weekly
    subject = rows[0][0]

    async def age(days: int) -> None:
        async with database.unit_of_work() as session:
            await session.execute(
                text("UPDATE mydata_link SET collected_at = :at WHERE subject = :s"),
                {"at": utcnow() - timedelta(days=days), "s": subject},
            )

    today = datetime.now(KST).replace(second=0, microsecond=0)
    noon, night = today.replace(hour=12, minute=0), today.replace(hour=1, minute=30)
    await age(8)
    assert await sweep(database, service, now=noon) == 0  # peak hours: holders are left alone
    assert await sweep(database, service, now=night) == len(rows)  # non-peak (0000–0600): due → collected
    assert await sweep(database, service, now=night) == 0  # collected this week: not again
    await age(3)
    assert await sweep(database, service, now=night) == 0  # within the weekly cycle
    log = (await linked["browser"].get("/mydata/consents")).text
    assert "scheduled" in log


async def test_withdrawal_deletes_what_it_brought_and_gives_a_receipt(linked: Any) -> None:
    browser = linked["browser"]
    page = await browser.get("/mydata/consents")
    kt = re.search(r'action="/mydata/consents/(MD_SAMGAKMD01_KTTC000030_[^"/]+)/withdraw"', page.text)
    assert kt is not None, page.text
    answer = await browser.post(f"/mydata/consents/{kt[1]}/withdraw")
    assert answer.status_code == 303
    receipt = await browser.get(answer.headers["location"])
    assert "KT 전송요구를 철회했습니다" in receipt.text and "받은 정보를 지웠습니다" in receipt.text
    picture = await portfolio(browser)
    assert all(a["org_code"] != "KTTC000030" for a in picture["assets"])
    assert picture["telecom_bills"] == []
    await browser.post("/mydata/refresh")
    log = (await browser.get("/mydata/consents")).text
    assert log.count("철회됨") == 1
    assert all(a["org_code"] != "KTTC000030" for a in (await portfolio(browser))["assets"])


async def test_pages_need_the_alliance_sign_in(client: httpx.AsyncClient) -> None:
    answer = await client.get("/mydata")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/id/start?next=%2Fmydata")
    assert (await client.get("/api/mydata/portfolio")).status_code == 401


async def test_asset_page_shows_its_transactions_to_its_owner_only(
    linked: Any, app: Any, alliance: Any
) -> None:
    browser = linked["browser"]
    deposit = next(a for a in (await portfolio(browser))["assets"] if a["kind"] == "deposit")
    page = await browser.get(f"/mydata/assets/{deposit['id']}")
    assert page.status_code == 200 and deposit["name"] in page.text
    assert re.search(r"최근 거래 [1-9]\d*건", page.text)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as other:
        assert (await prove(other, alliance.person(54))).status_code == 303
        assert (await other.get(f"/mydata/assets/{deposit['id']}")).status_code == 404
