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
    yield {
        "browser": browser,
        "person": person,
        "done": done,
        "alliance": alliance,
        "authenticator": authenticator,
    }
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
    assert picture["recurring"] and all(r["months"] >= 3 for r in picture["recurring"])


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


async def test_the_access_log_says_which_asset_was_read_when_and_why(linked: Any) -> None:
    browser = linked["browser"]
    deposit = next(a for a in (await portfolio(browser))["assets"] if a["kind"] == "deposit")
    page = (await browser.get("/mydata/consents")).text
    rows = re.findall(
        r"<tr><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>",
        page,
    )
    read = [r for r in rows if r[2] == "은행-003" and r[1] == f"{deposit['name']} {deposit['masked']}"]
    assert read and all(r[0] == "우리은행" and r[4] == "통합 자산관리" for r in read), rows[:5]
    assert any(r[2] == "은행-001" and r[1] == "목록" for r in rows)  # a list API reads no single asset


async def test_scheduled_sweep_collects_due_links_inside_non_peak_windows_only(linked: Any, app: Any) -> None:
    from datetime import datetime, timedelta

    from sqlalchemy import text

    from samgak.kit.timeutil import KST, utcnow
    from samgak.mydata import sweep

    database, service = app.state.platform_db, app.state.mydata
    async with database.read_sessions() as session:
        mine = "SELECT subject FROM mydata_link WHERE org_code = 'WRCD000041'"  # only this module links it
        rows = (
            await session.execute(text(f"SELECT subject, cycle FROM mydata_link WHERE subject IN ({mine})"))
        ).all()
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


async def test_a_scheduled_job_cut_off_midway_is_not_called_again_this_cycle(linked: Any, app: Any) -> None:
    """One scheduled call per asset and API a week (42901): a scheduled job whose collector died
    midway may have called already, so it is deferred to the next cycle instead of retried."""
    from datetime import timedelta

    from sqlalchemy import text

    from samgak.kit.timeutil import utcnow
    from samgak.mydata import start_run, work_run
    from samgak.mydata.repository import MydataRepository

    database, service = app.state.platform_db, app.state.mydata
    async with database.read_sessions() as session:
        subject = (
            await session.execute(text("SELECT subject FROM mydata_link WHERE org_code = 'WRCD000041'"))
        ).scalar_one()
        links = list(await MydataRepository(session).links_of(subject))
        calls = (await session.execute(text("SELECT count(*) FROM mydata_access_log"))).scalar_one()
    run_id = await start_run(
        database, [link.consent_id for link in links], api_type="scheduled", origin="schedule"
    )
    async with database.unit_of_work() as session:  # a collector took the jobs and died
        past = utcnow() - timedelta(minutes=5)
        assert len(await MydataRepository(session).claim_jobs(run_id, 100, past, past)) == len(links)
    assert await work_run(database, service, run_id)
    async with database.read_sessions() as session:
        outcomes = (
            await session.execute(
                text("SELECT state, outcome, attempts FROM mydata_job WHERE run_id = :r"), {"r": run_id}
            )
        ).all()
        after = (await session.execute(text("SELECT count(*) FROM mydata_access_log"))).scalar_one()
    assert outcomes and all(o == ("done", "deferred to the next cycle (42901)", 2) for o in outcomes), (
        outcomes
    )
    assert after == calls  # no call went to any holder


async def sign(browser: httpx.AsyncClient, authenticator: SoftAuthenticator, location: str) -> httpx.Response:
    """Sign the transmission requests at ``location`` (the signature page) with one passkey
    assertion; the page the customer lands on afterwards."""
    sign_url = urlparse(location)
    cert_tx_id = sign_url.path.rsplit("/", 1)[1]
    started = (await browser.post(f"/id/sign/{cert_tx_id}/options")).json()
    signed = await browser.post(
        f"/id/sign/{cert_tx_id}",
        json={"challenge_id": started["challenge_id"], "credential": authenticator.get(started["options"])},
    )
    assert signed.status_code == 200, signed.text
    return await browser.get(parse_qs(sign_url.query)["next"][0])


async def test_a_refresh_sends_search_timestamp_and_an_unchanged_list_keeps_every_asset(
    linked: Any, app: Any
) -> None:
    """2.6: the list API is asked with the search_timestamp it last answered; the holder answers
    an unchanged list with no items, and the known accounts are read again."""
    browser, holder = linked["browser"], app.state.mydata.holders["WRBK000020"]
    before = [a for a in (await portfolio(browser))["assets"] if a["org_code"] == "WRBK000020"]
    seen: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    sender = holder.client.http

    class Recording:
        async def request(self, method: str, path: str, **kwargs: Any) -> Any:
            answer = await sender.request(method, path, **kwargs)
            seen.append((path, dict(kwargs.get("params") or kwargs.get("json") or {}), answer.json()))
            return answer

        async def aclose(self) -> None:
            await sender.aclose()

    holder.client.http = Recording()
    try:
        assert (await browser.post("/mydata/refresh")).headers["location"] == "/mydata"
    finally:
        holder.client.http = sender
    listed = [(params, body) for path, params, body in seen if path.endswith("/v1/bank/accounts")]
    assert len(listed) == 1
    params, body = listed[0]
    assert len(params.get("search_timestamp", "")) == 14  # the last answer, sent back
    assert body["account_list"] == [] and body["search_timestamp"] == params["search_timestamp"]
    assert any(path.endswith("/deposit/detail") for path, _, _ in seen)  # known accounts read again
    after = [a for a in (await portfolio(browser))["assets"] if a["org_code"] == "WRBK000020"]
    assert [(a["id"], a["balance"]) for a in after] == [(a["id"], a["balance"]) for a in before]


async def _set_end_date(app: Any, consent_id: str, end: Any) -> None:
    import json

    from sqlalchemy import text

    async with app.state.platform_db.unit_of_work() as session:
        document = (
            await session.execute(
                text(
                    "SELECT document FROM mydata_consent_event WHERE consent_id = :c AND kind = 'requested'"
                ),
                {"c": consent_id},
            )
        ).scalar_one()
        changed = json.loads(document) | {"end_date": f"{end:%Y%m%d}"}
        await session.execute(
            text(
                "UPDATE mydata_consent_event SET document = :d WHERE consent_id = :c AND kind = 'requested'"
            ),
            {"d": json.dumps(changed, ensure_ascii=False), "c": consent_id},
        )


async def test_a_consent_near_its_end_is_renewed_with_one_signature_and_assets_keep_their_ids(
    linked: Any, app: Any
) -> None:
    from datetime import timedelta

    from samgak.kit.timeutil import today_kst

    browser = linked["browser"]
    page = (await browser.get("/mydata/consents")).text
    old = re.search(r'action="/mydata/consents/(MD_SAMGAKMD01_WRBK000020_[^"/]+)/withdraw"', page)
    assert old is not None, page
    assert 'id="reminders"' not in page  # a year left: nothing to remind
    before = [a["id"] for a in (await portfolio(browser))["assets"] if a["org_code"] == "WRBK000020"]

    await _set_end_date(app, old[1], today_kst() - timedelta(days=1))
    page = (await browser.get("/mydata/consents")).text
    assert "만료됨" in page and "우리은행 전송요구가 만료되었습니다" in page

    await _set_end_date(app, old[1], today_kst() + timedelta(days=10))
    dashboard = (await browser.get("/mydata")).text
    assert 'id="reminders"' in dashboard and "우리은행 전송요구가 10일 뒤" in dashboard

    change = await browser.get(f"/mydata/consents/{old[1]}/change")  # 변경 starts from its choices
    assert change.status_code == 200 and "전송요구 변경" in change.text
    assert 'value="WRBK000020" checked' in change.text and 'value="KBNK000089" checked' not in change.text
    assert '<option value="1/w" selected>' in change.text

    renewed = await browser.post(f"/mydata/consents/{old[1]}/renew")
    assert renewed.status_code == 303 and renewed.headers["location"].startswith("/id/sign/")
    done = await sign(browser, linked["authenticator"], renewed.headers["location"])
    assert "우리은행 연결 완료" in done.text, done.text
    page = (await browser.get("/mydata/consents")).text
    assert "변경·갱신됨" in page and 'id="reminders"' not in page
    assert f"/mydata/consents/{old[1]}/withdraw" not in page  # the new consent replaced it
    after = [a["id"] for a in (await portfolio(browser))["assets"] if a["org_code"] == "WRBK000020"]
    assert after == before  # stable asset ids across re-consent


async def test_someone_elses_consent_cannot_be_renewed_or_changed(
    linked: Any, app: Any, alliance: Any
) -> None:
    page = (await linked["browser"].get("/mydata/consents")).text
    mine = re.search(r'action="/mydata/consents/(MD_SAMGAKMD01_[^"/]+)/withdraw"', page)
    assert mine is not None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as other:
        assert (await prove(other, alliance.person(53))).status_code == 303
        assert (await other.post(f"/mydata/consents/{mine[1]}/renew")).status_code == 404
        assert (await other.get(f"/mydata/consents/{mine[1]}/change")).status_code == 404


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


async def test_pages_are_korean_first_and_english_on_request(linked: Any) -> None:
    browser = linked["browser"]
    korean = await browser.get("/mydata")
    assert '<html lang="ko">' in korean.text and "순자산" in korean.text and ">English</a>" in korean.text
    try:
        english = await browser.get("/mydata?lang=en")
        assert (
            '<html lang="en">' in english.text
            and "Net worth" in english.text
            and "순자산" not in english.text
        )
        assert "lang=en" in english.headers["set-cookie"]
        consents = await browser.get("/mydata/consents")  # the cookie keeps the choice
        assert "Access log" in consents.text and "Linked" in consents.text
        assert re.search(r"\d{1,3}(,\d{3})*원", english.text)  # amounts stay 12,345원
    finally:
        back = await browser.get("/mydata?lang=ko")
    assert "순자산" in back.text


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


async def test_a_collection_that_ends_after_a_withdrawal_keeps_nothing(linked: Any, app: Any) -> None:
    """The race a withdrawal can meet: a collection fetched before it and writes after it. What it
    brought back is dropped; the consent's data stays deleted."""
    from sqlalchemy import text

    from samgak.mydata.collect import Job, _fetch, _store
    from samgak.mydata.repository import MydataRepository

    database, service = app.state.platform_db, app.state.mydata
    async with database.read_sessions() as session:
        subject = (
            await session.execute(text("SELECT subject FROM mydata_link WHERE org_code = 'WRCD000041'"))
        ).scalar_one()
        repo = MydataRepository(session)
        link = next(link for link in await repo.links_of(subject) if link.org_code == "WRCD000041")
        known = (await repo.assets_of_links([link.consent_id]))[link.consent_id]
    job = Job(link.consent_id, "user-refresh", link, known)
    await _fetch(service, job)  # the collection has its data …
    assert job.result is not None and job.result.assets
    page = (await linked["browser"].get("/mydata/consents")).text
    assert f"/mydata/consents/{link.consent_id}/withdraw" in page
    withdrawn = await linked["browser"].post(f"/mydata/consents/{link.consent_id}/withdraw")  # … then this
    assert withdrawn.status_code == 303
    await _store(database, service, [job])  # … and only then does it write
    async with database.read_sessions() as session:
        kept = (
            await session.execute(
                text("SELECT count(*) FROM mydata_asset WHERE consent_id = :c"), {"c": link.consent_id}
            )
        ).scalar_one()
    assert kept == 0
    assert all(a["org_code"] != "WRCD000041" for a in (await portfolio(linked["browser"]))["assets"])
