"""The identity journey in a real browser: carrier sign-up → passkey enrolment (Chromium's virtual
authenticator) → sign-out everywhere → passkey sign-in → single sign-on into two member apps →
sign-out everywhere ends the apps' sessions too."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import async_playwright

from tests.browser.conftest import CUSTOMERS, enrol_passkey, prove_by_carrier


def kt_subscriber(alliance: Any) -> Any:
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        if "kt" in alliance.holdings(person):
            return person
    raise LookupError("no KT subscriber")


async def test_signup_passkey_signout_passkey_signin(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    person = kt_subscriber(browser_alliance)
    base = live_server.base
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        context = await browser.new_context(locale="ko-KR")
        page = await context.new_page()

        # sign-up by carrier proofing; the code is read from the demo phone
        await page.goto(f"{base}/id/start?next=/id/account")
        await prove_by_carrier(context, page, base, person)
        await page.wait_for_url(f"{base}/id/account")
        assert person.name in await page.content()

        # passkey enrolment with a platform authenticator that verifies the user
        cdp, authenticator = await enrol_passkey(context, page, base)
        stored = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        assert len(stored["credentials"]) == 1 and stored["credentials"][0]["isResidentCredential"]
        await page.screenshot(path=str(tmp_path / "account.png"))

        # sign out everywhere, then sign in with the passkey alone
        await page.click("text=모든 기기에서 로그아웃")
        await page.wait_for_url(f"{base}/")
        await page.goto(f"{base}/id/account")
        await page.wait_for_url(re.compile(r".*/id/start.*"))
        await page.click("#passkey-sign-in")
        try:
            await page.wait_for_url(f"{base}/id/account", timeout=10_000)
        except Exception:
            raise AssertionError(await page.inner_text("#passkey-status")) from None
        assert person.name in await page.content()

        # single sign-on into two member apps, then sign out everywhere from one of them
        for app, name in (("woori-won", "우리WON뱅킹"), ("kt-mobile", "마이케이티")):
            await page.goto(f"{base}/apps/{app}")
            if await page.locator("text=동의하고 계속").count():
                await page.click("text=동의하고 계속")
            await page.wait_for_url(f"{base}/apps/{app}")
            assert name in await page.content() and person.name in await page.inner_text("#user-name")
        await page.click("text=모든 기기에서 로그아웃")
        await page.wait_for_url(f"{base}/")
        await page.goto(f"{base}/apps/woori-won")
        await page.wait_for_url(re.compile(r".*/id/start.*"))  # the app's session ended too
        await browser.close()
