"""The MyData journey in a real browser: carrier sign-up → passkey → choose members → one passkey
signature over every transmission request → the combined picture → withdraw one member and read
the deletion receipt."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import async_playwright

from tests.browser.conftest import CUSTOMERS, enrol_passkey, prove_by_carrier


def banked_kt_subscriber(alliance: Any) -> Any:
    for index in reversed(range(CUSTOMERS)):
        person = alliance.person(index)
        held = alliance.holdings(person)
        if "kt" in held and any(s.kind == "deposit" for s in held.get("woori-bank", [])):
            return person
    raise LookupError("no Woori Bank customer with a KT line")


async def test_link_everything_with_one_signature_then_withdraw(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    person = banked_kt_subscriber(browser_alliance)
    base = live_server.base
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = await browser.new_context(locale="ko-KR")
        page = await context.new_page()
        await page.goto(f"{base}/mydata")
        await page.wait_for_url(re.compile(r".*/id/start.*"))
        await prove_by_carrier(context, page, base, person)
        await page.wait_for_url(f"{base}/mydata")
        assert "아직 연결된 기관이 없습니다" in await page.content()

        # a passkey for signing
        await enrol_passkey(context, page, base)

        # choose every member, sign once
        await page.goto(f"{base}/mydata/link")
        await page.click("text=전송요구하고 서명하기")
        await page.wait_for_url(re.compile(r".*/id/sign/.*"))
        listed = await page.inner_text("#consents")
        assert "우리은행 전송요구" in listed and "KT 전송요구" in listed
        await page.click("#sign")
        try:
            await page.wait_for_url(re.compile(r".*/mydata/link/.*/done"), timeout=20_000)
        except Exception:
            raise AssertionError(await page.inner_text("#passkey-status")) from None
        outcomes = await page.inner_text("#outcomes")
        assert "우리은행 연결 완료" in outcomes and "KT 연결 완료" in outcomes

        # one picture
        await page.click("text=내 자산 보기")
        await page.wait_for_url(f"{base}/mydata")
        net_worth = await page.inner_text("#net-worth")
        assert re.fullmatch(r"-?[\d,]+원", net_worth.strip()), net_worth
        assets = await page.inner_text("#assets")
        assert "예금" in assets and "통신" in assets
        await page.screenshot(path=str(tmp_path / "mydata-dashboard.png"), full_page=True)

        # withdraw KT: a receipt, and KT's data is gone
        await page.goto(f"{base}/mydata/consents")
        row = page.locator("#consents tr", has_text="KT").filter(has_text="연결됨")
        await row.locator("text=철회").click()
        await page.wait_for_url(re.compile(r".*/mydata/consents.*"))
        receipt = await page.inner_text("#receipt")
        assert "KT 전송요구를 철회했습니다" in receipt and "받은 정보를 지웠습니다" in receipt
        await page.goto(f"{base}/mydata")
        assert "통신" not in await page.inner_text("#assets")
        await browser.close()
