"""The partner-offers journey in a real browser (issue #6): a customer who auto-pays KT from a K bank
account signs up by carrier proofing → enrols a passkey → links K bank and KT through MyData with
one signature → sees the KT discount offer and why they qualify → enrols → staff run the monthly
benefit run for last month (twice: the second adds nothing) → the customer sees the discount
earned, and the partner settlement says K bank owes KT its share."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from playwright.async_api import async_playwright

from samgak.kit.timeutil import today_kst
from samgak.offers.service import month_key
from tests.browser.conftest import CUSTOMERS, enrol_passkey, prove_by_carrier
from tests.browser.test_identity_journey import kt_subscriber
from tests.browser.test_mydata_journey import banked_kt_subscriber
from tests.browser.test_payment_journey import paying_kt_subscriber
from tests.conftest import STAFF_KEY
from tests.mydata.test_collect_cli import banked_kt_subscriber as collected_subscriber

KBANK, KT = "KBNK000089", "KTTC000030"
PRODUCT = "kt-bill-kbank"


def _taken(alliance: Any) -> set[str]:
    """The CIs other live-server journeys sign up as."""
    return {
        kt_subscriber(alliance).ci,  # the identity journey and the OpenID client interop test
        banked_kt_subscriber(alliance).ci,
        paying_kt_subscriber(alliance)[0].ci,
        collected_subscriber(alliance, 0).ci,
    }


def _kt_lines(alliance: Any, person: Any) -> list[Any]:
    return [s for s in alliance.holdings(person).get("kt", []) if s.kind == "telecom"]


def _from_kbank(line: Any) -> bool:
    return bool(line.plan["autopay"][:2] == ("account", "k-bank"))


def kbank_autopayer(alliance: Any, *, every_line: bool = True) -> Any:
    """A KT subscriber, not delinquent, who auto-pays KT from a K bank account — every line, or
    (``every_line=False``) one line of several while another is paid otherwise — and whom no other
    live-server journey signs up as."""
    taken = _taken(alliance)
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        lines = _kt_lines(alliance, person)
        paid = [_from_kbank(s) for s in lines]
        if person.ci in taken or person.delinquent or not any(paid):
            continue
        if (every_line and all(paid)) or (not every_line and not all(paid)):
            return person
    raise LookupError("no such K bank auto-payer of KT left for the offers journey")


def kbank_paid_bill(alliance: Any, person: Any, month: str) -> int:
    """What K bank auto-paid of ``person``'s KT bills of ``month`` (YYYYMM), per the synthetic
    alliance: the amount the product's terms discount."""
    months = alliance.history(person, "kt").telecom_months
    return sum(
        charge
        for line in _kt_lines(alliance, person)
        if _from_kbank(line)
        for billed, charge, *_ in months[line.asset_key]
        if billed == month
    )


def won(text: str) -> int:
    found = re.fullmatch(r"\s*([\d,]+)원\s*", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


class WrongDiscount(AssertionError):
    """The discount earned is not 10% (at most 5,000원) of what K bank auto-paid."""


async def enrol_and_earn(chromium: str, live_server: Any, person: Any, shot: Any) -> list[str]:
    """The whole journey for ``person``; the cells of last month's row of what they earned."""
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
        await prove_by_carrier(context, page, base, person)
        await page.wait_for_url(f"{base}/offers")
        offer = page.locator(f"section.offer[data-product='{PRODUCT}']")
        # nothing linked yet: the offer says what is missing, and cannot be taken
        assert "KT를 연결해 주세요" in await offer.locator("li.missing").first.inner_text()
        assert await offer.locator("button:has-text('가입하기')").count() == 0

        # a passkey for signing the transmission requests
        await enrol_passkey(context, page, base)

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

        # the enrolment starts this month; move this person's two months back so last month's run
        # counts it
        database = live_server.settings.database_url.split("sqlite+aiosqlite:///", 1)[1]
        with sqlite3.connect(database, timeout=10) as connection:
            subjects = connection.execute(
                "SELECT subject FROM identity_account WHERE name = ? AND birth_date = ?",
                (person.name, f"{person.birth_date:%Y%m%d}"),
            ).fetchall()
            assert len(subjects) == 1, subjects
            moved = connection.execute(
                "UPDATE offers_enrolment SET first_month = ? WHERE product = ? AND subject = ?",
                (month_key(today_kst(), 2), PRODUCT, subjects[0][0]),
            )
            assert moved.rowcount == 1, moved.rowcount
        connection.close()

        # staff run last month's benefits; a second run of the month computes nothing new
        staff = await context.new_page()
        await staff.goto(f"{base}/offers/staff")  # the console asks for the staff key first
        await staff.fill("input[name=key]", STAFF_KEY)
        await staff.click("button:has-text('로그인')")
        await staff.fill("input[name=month]", last_month)
        await staff.click("button:has-text('계산 실행')")
        await staff.wait_for_url(re.compile(rf".*/offers/staff\?.*month={last_month}.*"))
        first_run = (await staff.inner_text("#message")).strip()
        ran = re.fullmatch(rf"{last_month}: 가입 (\d+)건, 새로 계산 (\d+)건, 혜택 ([\d,]+)원", first_run)
        assert ran and int(ran.group(1)) >= 1 and int(ran.group(2)) >= 1, first_run
        await staff.click("button:has-text('계산 실행')")
        await staff.wait_for_function(
            "(before) => document.querySelector('#message')?.innerText.trim() !== before", arg=first_run
        )
        second_run = (await staff.inner_text("#message")).strip()
        assert second_run == f"{last_month}: 가입 {ran.group(1)}건, 새로 계산 0건, 혜택 0원", second_run

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
        assert bill and discount == min(won(bill.group(1)) // 10, 5_000), cells
        await page.screenshot(path=str(shot), full_page=True)

        # the partner settlement of last month: K bank owes KT its 60% of every discount given
        with sqlite3.connect(database, timeout=10) as connection:
            people, given = connection.execute(
                "SELECT count(*), sum(won) FROM offers_benefit WHERE product = ? AND month = ?",
                (PRODUCT, last_month),
            ).fetchone()
        connection.close()
        assert given >= discount
        await staff.goto(f"{base}/offers/staff?month={last_month}")
        line = staff.locator("#settlement tr", has_text="KT 통신요금").filter(has_text="케이뱅크")
        assert await line.count() == 1
        owed = await line.locator("td").all_inner_texts()
        assert owed[1:3] == ["케이뱅크", "KT"], owed
        assert owed[3] == str(people) and won(owed[4]) == given - given * 40 // 100, owed

        await browser.close()
    return cells


async def test_kbank_autopayer_enrols_in_the_kt_discount_and_earns_it(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    person = kbank_autopayer(browser_alliance)
    assert not person.delinquent and person.ci not in _taken(browser_alliance)
    assert all(_from_kbank(s) for s in _kt_lines(browser_alliance, person))
    cells = await enrol_and_earn(chromium, live_server, person, tmp_path / "offers-earned.png")
    paid = kbank_paid_bill(browser_alliance, person, month_key(today_kst(), 1))
    assert paid > 0 and won(cells[1]) == min(paid // 10, 5_000), (paid, cells)


async def test_discount_is_on_what_kbank_autopays_only(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    person = kbank_autopayer(browser_alliance, every_line=False)
    lines = _kt_lines(browser_alliance, person)
    assert not person.delinquent and person.ci not in _taken(browser_alliance)
    assert any(_from_kbank(s) for s in lines) and not all(_from_kbank(s) for s in lines)
    paid = kbank_paid_bill(browser_alliance, person, month_key(today_kst(), 1))
    assert 0 < paid < 50_000, paid  # 10% of it is under the cap, so the cap cannot hide the bug
    cells = await enrol_and_earn(chromium, live_server, person, tmp_path / "offers-earned-two-lines.png")
    if won(cells[1]) != paid // 10:
        raise WrongDiscount(
            f"K bank auto-paid {paid:,}원 of the KT bills, so 10% is {paid // 10:,}원: {cells}"
        )
