"""A customer who auto-pays KT from K bank sees the discount offer, enrols, and after the monthly
run sees what they earned; the run is idempotent, posts to the ledger, and the partner settlement
says K bank owes KT its share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from samgak import ledger
from samgak.kit.timeutil import today_kst
from samgak.offers import partner_settlement, run_month
from samgak.offers.service import enrol, month_key
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol as enrol_passkey
from tests.identity.test_signup import prove
from tests.mydata.test_linking import sign

KBANK, KT = "KBNK000089", "KTTC000030"
PERSON = 47  # pays KT by auto-pay from a K bank account, and on time (seed 7)


@pytest.fixture(scope="module")
async def customer(app: Any, alliance: Any) -> Any:
    person = alliance.person(PERSON)
    autopay = next(s.plan["autopay"] for s in alliance.holdings(person)["kt"] if s.kind == "telecom")
    assert autopay[:2] == ("account", "k-bank") and not person.delinquent
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    authenticator = SoftAuthenticator()
    assert (await prove(browser, person)).status_code == 303
    assert (await enrol_passkey(browser, authenticator)).status_code == 201
    asked = await browser.post(
        "/mydata/link",
        data={"org": [KBANK, KT], "purpose": "통합 자산관리", "scheduled": "true", "cycle": "1/w"},
    )
    assert asked.status_code == 303, asked.text
    assert (await sign(browser, authenticator, asked.headers["location"])).status_code == 200
    signed_in = await browser.post("/offers/staff/login", data={"key": app.state.staff_key})
    assert signed_in.status_code == 303  # the same browser is the staff console's, for the tests
    yield browser
    await browser.aclose()


async def test_public_catalogue_needs_no_sign_in(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/offers/v1/products")
    codes = {p["code"]: p for p in answer.json()["products"]}
    assert answer.status_code == 200 and codes["kt-bill-kbank"]["funding"] == {"케이뱅크": 60, "KT": 40}


async def test_kbank_autopayer_enrols_and_earns_the_kt_discount(
    app: Any, customer: httpx.AsyncClient
) -> None:
    page = await customer.get("/offers")
    assert page.status_code == 200 and "케이뱅크" in page.text and "자동납부하고 있습니다" in page.text
    subject = await _subject(app, customer)
    two_months_ago = today_kst().replace(day=1) - timedelta(days=40)
    await enrol(app.state.platform_db, subject, "kt-bill-kbank", today=two_months_ago)
    last_month = month_key(today_kst(), 1)
    report = await run_month(app.state.platform_db, last_month)
    assert report.computed >= 1 and report.won > 0
    again = await run_month(app.state.platform_db, last_month)
    assert again.computed == 0 and again.won == 0  # a month is computed once
    page = await customer.get("/offers")
    assert (
        "가입 중" in page.text and f"{last_month[:4]}-{last_month[4:]}" in page.text and "의 10%" in page.text
    )
    lines = await partner_settlement(app.state.platform_db, last_month)
    kt_line = next(line for line in lines if line.payer == "케이뱅크" and line.payee == "KT")
    async with app.state.platform_db.read_sessions() as session:
        owed = -await ledger.balance(session, "benefits:kt-bill-kbank")
        kbank = await ledger.balance(session, f"promotion:kt-bill-kbank:{KBANK}")
        assert (await ledger.reconcile(session)).ok
    assert kt_line.amount == kbank and owed >= kbank
    statement = await customer.get(f"/offers/staff/settlement/{last_month}.csv")
    assert statement.status_code == 200 and f"케이뱅크,KT,{kt_line.people},{kt_line.amount}" in statement.text
    opted = await customer.post("/offers/kt-bill-kbank/opt-out")
    assert opted.status_code == 303 and "해지" in (await customer.get(opted.headers["location"])).text


async def test_enrolment_is_refused_with_what_is_missing(app: Any, customer: httpx.AsyncClient) -> None:
    refused = await customer.post("/offers/bc-paybook/enrol")  # BC Card is not linked
    assert refused.status_code == 303
    page = await customer.get(refused.headers["location"])
    assert "BC카드를 연결" in page.text


async def _subject(app: Any, browser: httpx.AsyncClient) -> str:
    answer = await browser.get("/api/mydata/portfolio")
    assert answer.status_code == 200
    from samgak.identity.accounts import COOKIE, signed_in

    async with app.state.platform_db.read_sessions() as session:
        found = await signed_in(session, browser.cookies.get(COOKIE))
    assert found is not None
    return str(found[0].subject)


async def test_offers_pages_are_korean_first_and_english_on_request(customer: httpx.AsyncClient) -> None:
    korean = await customer.get("/offers")
    assert "제휴 혜택" in korean.text and 'lang="ko"' in korean.text
    english = await customer.get("/offers?lang=en")
    assert "partner offers" in english.text and 'lang="en"' in english.text and "My offers" in english.text
    await customer.get("/offers?lang=ko")  # the cookie back to Korean for the other tests


async def test_a_store_is_credited_once_per_customer_and_bursts_are_held(
    app: Any, customer: httpx.AsyncClient
) -> None:
    from samgak.offers import referrals
    from samgak.offers.stores import store

    month = f"{today_kst():%Y%m}"
    assert (await customer.get("/r/KT0001")).headers["location"] == "/offers"
    await customer.get("/offers")
    await customer.get("/offers")  # a second visit adds nothing
    first = {line.code: line for line in (await referrals.report(app.state.platform_db, month)).stores}
    assert (first["KT0001"].joins, first["KT0001"].links, first["KT0001"].flagged) == (1, 2, 0)
    await customer.get("/r/KT0002")
    await customer.get("/offers")  # the same customer through another store: kept, not counted
    second = {line.code: line for line in (await referrals.report(app.state.platform_db, month)).stores}
    assert (second["KT0002"].joins, second["KT0002"].flagged) == (0, 3)
    await customer.post("/offers/kt-bill-kbank/enrol")  # enrolled again, through KT0002 now
    third = {line.code: line for line in (await referrals.report(app.state.platform_db, month)).stores}
    assert third["KT0002"].enrols == 1
    shop = store("KT0100")
    assert shop is not None
    counted = [await referrals.attribute(app.state.platform_db, shop, f"burst-{n}") for n in range(22)]
    assert counted == [1] * referrals.BURST_JOINS + [0, 0]  # the 21st and 22nd join in ten minutes wait
    held = {line.code: line for line in (await referrals.report(app.state.platform_db, month)).stores}
    assert (held["KT0100"].joins, held["KT0100"].flagged) == (20, 2)
    staff = await customer.get(f"/offers/staff?stores={month}")
    assert 'data-store="KT0100"' in staff.text and shop.name in staff.text
    qr = await customer.get("/r/KT0001/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml"
    unknown = await customer.get("/r/NOPE")
    assert unknown.status_code == 303 and "message" in unknown.headers["location"]


async def test_a_campaign_reaches_only_agreeing_customers_keeps_a_holdout_and_reports_uplift(
    app: Any, customer: httpx.AsyncClient
) -> None:
    from sqlalchemy import text

    from samgak.kit.timeutil import utcnow
    from samgak.offers import campaigns

    database = app.state.platform_db
    async with database.unit_of_work() as session:  # forty more K bank customers, as MyData saw them
        for n in range(40):
            await session.execute(
                text(
                    "INSERT INTO mydata_asset (subject, org_code, kind, key_digest, key_sealed, name, masked, "
                    "status, balance, detail, consent_id, first_seen, updated_at) VALUES (:s, 'KBNK000089', "
                    "'deposit', :s, 'x', '통장', '****', '01', 0, '{}', 'consent', :at, :at)"
                ),
                {"s": f"camp-{n}", "at": utcnow()},
            )
    for n in range(40):
        await campaigns.agree_to_marketing(database, f"camp-{n}", n < 36)  # four never agreed
    agreed = await customer.post("/offers/marketing", data={"agree": "1"})
    assert agreed.status_code == 303
    made = await customer.post(
        "/offers/staff/campaigns",
        data={
            "name": "케이뱅크 적금 가을 캠페인",
            "product": "kbank-wooricard-savings",
            "segment": "kbank-customers",
            "holdout_pct": "25",
        },
    )
    assert made.status_code == 303
    campaign_id = next(r.campaign.id for r in await campaigns.results(database) if "가을" in r.campaign.name)
    launched = await customer.post(f"/offers/staff/campaigns/{campaign_id}/launch")
    assert launched.status_code == 303
    assert (
        await customer.post(f"/offers/staff/campaigns/{campaign_id}/launch")
    ).status_code == 303  # said no
    result = next(r for r in await campaigns.results(database) if r.campaign.id == campaign_id)
    assert result.treated + result.held_out == 37  # 36 who agreed + the customer; never the other four
    assert 3 <= result.held_out <= 18
    async with database.read_sessions() as session:
        members = dict(
            (
                await session.execute(
                    text("SELECT subject, holdout FROM offers_campaign_member WHERE campaign_id = :c"),
                    {"c": campaign_id},
                )
            ).all()
        )
    treated = [s for s, held in members.items() if not held and s.startswith("camp-")]
    holdout = [s for s, held in members.items() if held and s.startswith("camp-")]
    for subject in treated[:5] + holdout[:1]:
        await enrol(database, subject, "kbank-wooricard-savings")
    result = next(r for r in await campaigns.results(database) if r.campaign.id == campaign_id)
    assert (result.treated_enrolled, result.held_out_enrolled) == (5, 1)
    assert abs(result.uplift_pp - (5 / result.treated - 1 / result.held_out) * 100) < 1e-9
    page = await customer.get("/offers")
    mine = next(held for s, held in members.items() if not s.startswith("camp-"))
    assert ("케이뱅크 적금 가을 캠페인" in page.text) is (not mine)  # the held-out customer gets nothing
    staff = await customer.get("/offers/staff")
    assert f'data-campaign="{campaign_id}"' in staff.text and "%p" in staff.text


async def test_the_staff_console_needs_its_key(app: Any, client: httpx.AsyncClient) -> None:
    login = await client.get("/offers/staff")
    assert login.status_code == 200 and 'name="key"' in login.text and "data-campaign" not in login.text
    refused = await client.post("/offers/staff/run", data={"month": "202601"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/offers/staff?")
    wrong = await client.post("/offers/staff/login", data={"key": "guess"})
    assert "samgak_staff" not in wrong.headers.get("set-cookie", "")


async def test_a_stores_own_staff_never_count(app: Any, customer: httpx.AsyncClient) -> None:
    from samgak.offers import referrals
    from samgak.offers.service import offers_key

    pin = referrals.store_pin("KT0005", offers_key(app.state.settings))
    wrong = await customer.post("/r/KT0005/staff", data={"pin": "000000" if pin != "000000" else "111111"})
    assert "PIN" in (await customer.get(wrong.headers["location"])).text
    joined = await customer.post("/r/KT0005/staff", data={"pin": pin})
    assert joined.status_code == 303
    await customer.get("/r/KT0005")
    await customer.get("/offers")
    month = f"{today_kst():%Y%m}"
    line = {s.code: s for s in (await referrals.report(app.state.platform_db, month)).stores}["KT0005"]
    assert (line.joins, line.links) == (0, 0) and line.flagged >= 1
