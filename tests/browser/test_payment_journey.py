"""The MyPayment journey in a real browser: an order at the demo shop → the checkout asks for a
sign-in → carrier sign-up → passkey enrolment (Chromium's virtual authenticator) → pay from a
demand deposit entered by hand, approved with a passkey step-up → the payer's history → the
merchant console refunds part of it and settles the day → the shop sees the payment captured and
the refund."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import async_playwright

from tests.browser.conftest import CUSTOMERS, enrol_passkey, prove_by_carrier
from tests.browser.test_identity_journey import kt_subscriber
from tests.browser.test_mydata_journey import banked_kt_subscriber
from tests.mydata.test_collect_cli import banked_kt_subscriber as collected_subscriber

BANKS = ("woori-bank", "k-bank")  # the member banks whose accounts the checkout takes


def paying_kt_subscriber(alliance: Any) -> tuple[Any, str, str]:
    """A KT subscriber with a demand deposit (saving_method 01) at a member bank whom no other
    live-server journey signs up as: ``(person, bank slug, account number)``."""
    taken = {
        kt_subscriber(alliance).ci,
        banked_kt_subscriber(alliance).ci,
        collected_subscriber(alliance, 0).ci,
    }
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        held = alliance.holdings(person)
        if person.ci in taken or "kt" not in held:
            continue
        for slug in BANKS:
            for spec in held.get(slug, []):
                if spec.kind == "deposit" and spec.detail["saving_method"] == "01":
                    return person, slug, spec.asset_key
    raise LookupError("no KT subscriber with a demand deposit left for the payment journey")


async def test_shop_pay_with_passkey_then_merchant_refunds_and_settles(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    assert live_server.shop_key, "the live server's demo shop has no merchant API key"
    person, slug, account = paying_kt_subscriber(browser_alliance)
    org_code = next(m.org_code for m in live_server.settings.members if m.slug == slug)
    base = live_server.base
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = await browser.new_context(locale="ko-KR")
        page = await context.new_page()

        # an order at the shop becomes a payment request; its checkout wants a signed-in customer
        await page.goto(f"{base}/shop")
        await page.click("#order")
        await page.wait_for_url(re.compile(r".*/id/start\?next=.*"))
        checkout = re.search(r"next=(%2Fpay%2F|/pay/)([^&]+)", page.url)
        assert checkout, page.url
        payment_id = checkout.group(2)
        checkout_url = f"{base}/pay/{payment_id}"

        # sign-up by carrier proofing; the code is read from the demo phone
        await prove_by_carrier(context, page, base, person)
        await page.wait_for_url(re.compile(rf".*/(pay/{payment_id}|id/account)$"))

        # a passkey for the step-up
        cdp, authenticator = await enrol_passkey(context, page, base)

        # the checkout: another account, entered by hand, approved with the passkey
        await page.goto(checkout_url)
        assert (await page.inner_text("#payee")).strip() == "삼각상회"
        amount = int(re.sub(r"\D", "", await page.inner_text("#amount")))
        assert amount == 12_900  # one bag of coffee beans, the shop's default order
        await page.check("input[name=account][value=other]")
        await page.select_option("#org_code", org_code)
        await page.fill("#account_num", account)
        signed_before = (await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator}))[
            "credentials"
        ][0]["signCount"]
        await page.click("#pay")
        try:
            await page.wait_for_selector("#status", timeout=20_000)
        except Exception:
            raise AssertionError(await page.inner_text("#pay-status")) from None
        assert page.url == checkout_url
        assert (await page.inner_text("#status")).strip() == "결제 완료"
        result = await page.inner_text("#result")
        assert "12,900원 결제가 완료되었습니다." in result and f"{account[:4]}-****-{account[-4:]}" in result
        signed = (await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator}))[
            "credentials"
        ]
        assert signed[0]["signCount"] > signed_before  # the authenticator signed the step-up
        await page.screenshot(path=str(tmp_path / "checkout-paid.png"), full_page=True)

        # the payer's history lists it
        await page.goto(f"{base}/pay/history")
        paid = page.locator("#payments tr", has=page.locator(f"a[href='/pay/{payment_id}']"))
        assert await paid.count() == 1
        row = await paid.inner_text()
        assert "삼각상회" in row and "12,900원" in row and "결제 완료" in row

        # the merchant console: sign in with the API key, refund 1,000원 of it
        merchant = await context.new_page()
        await merchant.goto(f"{base}/merchant")
        await merchant.fill("input[name=api_key]", live_server.shop_key)
        await merchant.click("button:has-text('로그인')")
        await merchant.wait_for_url(f"{base}/merchant")
        assert live_server.merchant_id in await merchant.inner_text("h1")
        payment_row = merchant.locator(f'tr[data-payment="{payment_id}"]')
        assert "결제 완료" in await payment_row.inner_text()
        await payment_row.locator("input[name=amount]").fill("1000")
        await payment_row.locator("button:has-text('환불')").click()
        await merchant.wait_for_url(re.compile(r".*/merchant\?message=.*"))
        message = await merchant.inner_text("#message")
        assert "1,000원 환불" in message, message
        refunded = await merchant.locator(f'tr[data-payment="{payment_id}"]').inner_text()
        assert "1,000원" in refunded, refunded
        # what is left is still refundable, and no more than that
        assert await merchant.locator(f'tr[data-payment="{payment_id}"] input[name=amount]').get_attribute(
            "max"
        ) == str(amount - 1_000)

        # today's settlement: the payment less the fee (2.5%) and the refund, paid out
        await merchant.click("text=오늘 정산 실행")
        await merchant.wait_for_url(re.compile(r".*/merchant(#settlements)?$"))
        settled = merchant.locator("#settlements tr", has=merchant.locator("a:has-text('명세')"))
        assert await settled.count() == 1
        line = await settled.inner_text()
        fee = amount * 250 // 10_000
        payout = amount - fee - 1_000
        assert f"{payout:,}원" in line and "지급 완료" in line, line
        await merchant.screenshot(path=str(tmp_path / "merchant-console.png"), full_page=True)
        await settled.locator("a:has-text('명세')").click()
        await merchant.wait_for_url(re.compile(r".*/merchant/settlements/[^/.]+$"))
        assert (await merchant.inner_text("#payout")).strip() == f"{payout:,}원"
        assert payment_id in await merchant.content()

        # the payer sees the refund on the checkout page too
        await page.goto(checkout_url)
        assert "환불 1,000원" in await page.inner_text("#result")

        await browser.close()

    # the shop, reading its payment through the merchant API, sees it captured and refunded
    async with httpx.AsyncClient(base_url=base, timeout=10) as shop:
        orders = await shop.get("/shop/orders")
    assert orders.status_code == 200
    found = [
        re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", orders.text, flags=re.S)
        if "<td" in row
    ]
    assert [cells[1:] for cells in found] == [["12,900원", "1,000원", "ACSC"]], found
