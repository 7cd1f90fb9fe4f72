"""The partner-offers journey in a real browser (issue #6): a customer who auto-pays KT from a K bank
account signs up by carrier proofing → enrols a passkey → links K bank and KT through MyData with
one signature → sees the KT discount offer and why they qualify → enrols → staff run the monthly
benefit run for last month → the customer sees the discount earned, and the partner settlement
says K bank owes KT its share."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from playwright.async_api import async_playwright

from samgak.kit.timeutil import today_kst
from samgak.offers.service import month_key
from tests.browser.conftest import CUSTOMERS
from tests.browser.test_identity_journey import AUTHENTICATOR, kt_subscriber
from tests.browser.test_mydata_journey import banked_kt_subscriber
from tests.browser.test_payment_journey import paying_kt_subscriber
from tests.mydata.test_collect_cli import banked_kt_subscriber as collected_subscriber

KBANK, KT = "KBNK000089", "KTTC000030"
PRODUCT = "kt-bill-kbank"


def kbank_autopayer(alliance: Any) -> Any:
    """A KT subscriber, not delinquent, whose every KT line is auto-paid from a K bank account, and
    whom no other live-server journey signs up as."""
    taken = {
        kt_subscriber(alliance).ci,  # the identity journey and the OpenID client interop test
        banked_kt_subscriber(alliance).ci,
        paying_kt_subscriber(alliance)[0].ci,
        collected_subscriber(alliance, 0).ci,
    }
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        lines = [s for s in alliance.holdings(person).get("kt", []) if s.kind == "telecom"]
        if (
            person.ci not in taken
            and not person.delinquent
            and lines
            and all(s.plan["autopay"][:2] == ("account", "k-bank") for s in lines)
        ):
            return person
    raise LookupError("no K bank auto-payer of KT left for the offers journey")


def won(text: str) -> int:
    found = re.fullmatch(r"\s*([\d,]+)원\s*", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


async def test_kbank_autopayer_enrols_in_the_kt_discount_and_earns_it(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    person = kbank_autopayer(browser_alliance)
    held = browser_alliance.holdings(person)
    assert not person.delinquent and any(s.kind == "deposit" for s in held["k-bank"])
    assert all(s.plan["autopay"][:2] == ("account", "k-bank") for s in held["kt"] if s.kind == "telecom")
    last_month = month_key(today_kst(), 1)
    base = live_server.base
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = await browser.new_context(locale="ko-KR")
        page = await context.new_page()

        # the offers page wants a signed-in customer: carrier sign-up, the code from the demo phone
        await page.goto(f"{base}/offers")
        await page.wait_for_url(re.compile(r".*/id/start.*"))
        await page.fill("#name", person.name)
        await page.fill("#birth_date", f"{person.birth_date:%Y%m%d}")
        await page.fill("#phone", person.phone)
        await page.click("text=인증번호 받기")
        await page.wait_for_url(re.compile(r".*/id/verify/.*"))
        phone = await context.new_page()
        await phone.goto(f"{base}/inst/kt/v1/carrier/demo/phone?phone={person.phone}")
        code = re.search(r"\[(\d{6})\]", await phone.content())
        assert code, await phone.content()
        await phone.close()
        await page.bring_to_front()  # WebAuthn needs the focused page
        await page.fill("#code", code.group(1))
        await page.click("text=확인")
        await page.wait_for_url(f"{base}/offers")
        offer = page.locator(f"section.offer[data-product='{PRODUCT}']")
        # nothing linked yet: the offer says what is missing, and cannot be taken
        assert "KT를 연결해 주세요" in await offer.locator("li.missing").first.inner_text()
        assert await offer.locator("button:has-text('가입하기')").count() == 0

        # a passkey for signing the transmission requests
        cdp = await context.new_cdp_session(page)
        await cdp.send("WebAuthn.enable", {"enableUI": False})
        await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
        await page.goto(f"{base}/id/account")
        await page.click("#passkey-register")
        try:
            await page.wait_for_function(
                "!document.body.innerText.includes('등록된 패스키가 없습니다')", timeout=10_000
            )
        except Exception:
            raise AssertionError(await page.inner_text("#passkey-status")) from None

        # link K bank and KT only, one passkey signature
        await page.goto(f"{base}/mydata/link")
        for box in await page.locator("input[name=org]").all():
            await box.uncheck()
        await page.check(f"input[name=org][value={KBANK}]")
        await page.check(f"input[name=org][value={KT}]")
        await page.click("text=전송요구하고 서명하기")
        await page.wait_for_url(re.compile(r".*/id/sign/.*"))
        listed = await page.inner_text("#consents")
        assert "케이뱅크 전송요구" in listed and "KT 전송요구" in listed and "우리은행" not in listed
        await page.click("#sign")
        try:
            await page.wait_for_url(re.compile(r".*/mydata/link/.*/done"), timeout=20_000)
        except Exception:
            raise AssertionError(await page.inner_text("#passkey-status")) from None
        outcomes = await page.inner_text("#outcomes")
        assert "케이뱅크 연결 완료" in outcomes and "KT 연결 완료" in outcomes, outcomes

        # the offer, and why: last month's KT bill was auto-paid from K bank
        await page.goto(f"{base}/offers")
        reasons = await offer.locator("li.reason").all_inner_texts()
        assert any("자동납부하고 있습니다" in r and "케이뱅크" in r for r in reasons), reasons
        assert await offer.locator("li.missing").count() == 0
        assert "가입 중" not in await offer.inner_text()
        await offer.locator("button:has-text('가입하기')").click()
        await page.wait_for_url(re.compile(r".*/offers\?message=.*"))
        assert "가입했습니다" in await page.inner_text("#message")
        assert "가입 중" in await offer.locator("h2").inner_text()
        assert await offer.locator("table.earned").count() == 0  # nothing computed yet

        # the enrolment started this month; move it two months back so last month's run counts it
        database = live_server.settings.database_url.split("sqlite+aiosqlite:///", 1)[1]
        with sqlite3.connect(database, timeout=10) as connection:
            enrolments = connection.execute("SELECT product FROM offers_enrolment").fetchall()
            assert enrolments == [(PRODUCT,)], f"expected this journey's enrolment only: {enrolments}"
            connection.execute(
                "UPDATE offers_enrolment SET first_month = ? WHERE product = ?",
                (month_key(today_kst(), 2), PRODUCT),
            )
        connection.close()

        # staff run last month's benefits
        staff = await context.new_page()
        await staff.goto(f"{base}/offers/staff")
        await staff.fill("input[name=month]", last_month)
        await staff.click("button:has-text('계산 실행')")
        await staff.wait_for_url(re.compile(r".*/offers/staff\?.*month=" + last_month + ".*"))
        first_run = (await staff.inner_text("#message")).strip()
        ran = re.fullmatch(rf"{last_month}: 가입 1건, 새로 계산 1건, 혜택 ([\d,]+)원", first_run)
        assert ran, first_run
        # a second run of the month computes nothing new
        await staff.click("button:has-text('계산 실행')")
        await staff.wait_for_function(
            "(before) => document.querySelector('#message')?.innerText.trim() !== before", arg=first_run
        )
        second_run = (await staff.inner_text("#message")).strip()
        assert second_run == f"{last_month}: 가입 1건, 새로 계산 0건, 혜택 0원", second_run

        # the customer sees what they earned last month: 10% of the KT bill, at most 5,000원
        await page.goto(f"{base}/offers")
        assert "가입 중" in await offer.locator("h2").inner_text()
        rows = offer.locator("table.earned tr", has=page.locator("td"))
        assert await rows.count() == 1
        cells = await rows.first.locator("td").all_inner_texts()
        assert cells[0] == f"{last_month[:4]}-{last_month[4:]}", cells
        discount = won(cells[1])
        assert discount > 0 and "10%" in cells[3], cells
        bill = re.search(r"KT 요금 ([\d,]+원)의 10%", cells[3])
        assert bill, cells
        assert discount == min(won(bill.group(1)) // 10, 5_000), cells
        assert won(ran.group(1) + "원") == discount, first_run
        await page.screenshot(path=str(tmp_path / "offers-earned.png"), full_page=True)

        # the partner settlement of last month: K bank owes KT its 60% of the discount
        await staff.goto(f"{base}/offers/staff?month={last_month}")
        line = staff.locator("#settlement tr", has_text="KT 통신요금").filter(has_text="케이뱅크")
        assert await line.count() == 1
        cells = await line.locator("td").all_inner_texts()
        assert cells[1:3] == ["케이뱅크", "KT"], cells
        assert cells[3] == "1" and won(cells[4]) == discount - discount * 40 // 100, cells

        await browser.close()
