"""Store referrals and joint campaigns in a real browser: a KT subscriber opens a KT store's link
(``/r/KT0042``) → signs up by carrier proofing → the staff console counts the join for that store
this month (and serves the store's QR code); then the customer links K bank through MyData and
agrees to marketing → staff create a campaign for K bank customers with no holdout and send it →
the customer finds it in their inbox on /offers, and the console counts it as sent."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import async_playwright

from samgak.kit.timeutil import today_kst
from tests.browser.conftest import CUSTOMERS, enrol_passkey, prove_by_carrier
from tests.browser.test_offers_journey import KBANK, _taken, kbank_autopayer
from tests.conftest import STAFF_KEY

STORE = "KT0042"
CAMPAIGN_PRODUCT = "kbank-wooricard-savings"
SEGMENT = "kbank-customers"


def kbank_kt_subscriber(alliance: Any) -> Any:
    """A KT subscriber with a K bank deposit (and no Woori Bank), not delinquent, whom no other
    live-server journey signs up as."""
    taken = _taken(alliance) | {
        kbank_autopayer(alliance).ci,
        kbank_autopayer(alliance, every_line=False).ci,
    }
    for index in range(CUSTOMERS):
        person = alliance.person(index)
        held = alliance.holdings(person)
        if person.ci in taken or person.delinquent or "kt" not in held or "woori-bank" in held:
            continue
        if any(s.kind == "deposit" for s in held.get("k-bank", [])):
            return person
    raise LookupError("no K bank customer with a KT line left for the store/campaign journey")


async def test_store_referral_and_joint_campaign(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    person = kbank_kt_subscriber(browser_alliance)
    base = live_server.base
    this_month = f"{today_kst():%Y%m}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = await browser.new_context(locale="ko-KR")
        page = await context.new_page()

        # the store's link remembers the store, then the offers want a signed-in customer
        await page.goto(f"{base}/r/{STORE}")
        await page.wait_for_url(re.compile(r".*/id/start.*"))
        await prove_by_carrier(context, page, base, person)
        await page.wait_for_url(f"{base}/offers")
        assert person.name in await page.inner_text("h1")

        # the staff console counts the join for the store this month
        staff = await context.new_page()
        await staff.goto(f"{base}/offers/staff")
        await staff.fill("input[name=key]", STAFF_KEY)
        await staff.click("button:has-text('로그인')")
        await staff.wait_for_selector("#campaigns")
        await staff.goto(f"{base}/offers/staff?stores={this_month}")
        row = staff.locator(f"#stores tr[data-store='{STORE}']")
        assert await row.count() == 1
        cells = await row.locator("td").all_inner_texts()
        assert STORE in cells[0] and cells[2].strip() == "1", cells

        # the store's QR code
        qr = await context.request.get(f"{base}/r/{STORE}/qr.svg")
        assert qr.ok and qr.headers["content-type"].startswith("image/svg+xml")
        assert "<svg" in await qr.text()

        # a passkey, then link K bank only through MyData (every segment reads a MyData link)
        await page.bring_to_front()
        await enrol_passkey(context, page, base)
        await page.goto(f"{base}/mydata/link")
        for box in await page.locator("input[name=org]").all():
            await box.uncheck()
        await page.check(f"input[name=org][value={KBANK}]")
        await page.click("text=전송요구하고 서명하기")
        await page.wait_for_url(re.compile(r".*/id/sign/.*"))
        await page.click("#sign")
        try:
            await page.wait_for_url(re.compile(r".*/mydata/link/.*/done"), timeout=20_000)
        except Exception:
            raise AssertionError(await page.inner_text("#passkey-status")) from None
        assert "케이뱅크 연결 완료" in await page.inner_text("#outcomes")

        # the customer agrees to marketing
        await page.goto(f"{base}/offers")
        assert await page.locator("#inbox").count() == 0
        await page.locator("#marketing button:has-text('동의하기')").click()
        await page.wait_for_url(re.compile(r".*/offers\?message=.*"))
        assert "마케팅 정보 수신에 동의했습니다." in await page.inner_text("#message")

        # staff create a campaign for K bank customers, nobody held out, and send it
        name = f"케이뱅크 적금 캠페인 {tmp_path.name[-8:]}"
        await staff.bring_to_front()
        await staff.goto(f"{base}/offers/staff")
        form = staff.locator("#campaigns form").first
        await form.locator("input[name=name]").fill(name)
        await form.locator("select[name=product]").select_option(CAMPAIGN_PRODUCT)
        await form.locator("select[name=segment]").select_option(SEGMENT)
        await form.locator("input[name=holdout_pct]").fill("0")
        await form.locator("button:has-text('만들기')").click()
        await staff.wait_for_url(re.compile(r".*/offers/staff\?message=.*"))
        assert "을 만들었습니다" in await staff.inner_text("#message")
        campaign = staff.locator("#campaigns tr[data-campaign]", has_text=name)
        assert await campaign.count() == 1
        campaign_id = await campaign.get_attribute("data-campaign")
        await campaign.locator("button:has-text('보내기')").click()
        await staff.wait_for_function(
            "(id) => document.querySelector('#message')?.innerText.includes(id + ':')", arg=campaign_id
        )
        sent = await staff.inner_text("#message")
        assert "명에게 보냈고" in sent and "0명은 비교군" in sent, sent
        row = staff.locator(f"#campaigns tr[data-campaign='{campaign_id}']")
        counts = await row.locator("td").all_inner_texts()
        assert int(counts[1]) >= 1 and counts[2].strip() == "0", counts
        assert await row.locator("button:has-text('보내기')").count() == 0

        # the customer's inbox has it
        await page.bring_to_front()
        await page.goto(f"{base}/offers")
        assert name in await page.inner_text("#inbox")
        await page.screenshot(path=str(tmp_path / "offers-campaign-inbox.png"), full_page=True)

        await browser.close()
