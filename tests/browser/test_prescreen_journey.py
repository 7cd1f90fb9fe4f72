"""The loan pre-screen in a real browser (issue #8): a thin-file KT subscriber signs up by carrier
proofing → enrols a passkey → single sign-on into the Woori Bank app → 대출 사전심사 is refused, for
nothing is linked for credit assessment, and offers to link → the MyData form comes with the purpose
신용평가 filled in → KT linked with one passkey signature → the pre-screen shows a band, the score
and the reasons that lowered it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from samgak.analytics.scoring.develop import BANDS, NAME, develop, frame_of
from samgak.analytics.scoring.features import CATALOGUE
from samgak.analytics.scoring.registry import save, versions
from samgak.kit.timeutil import today_kst
from samgak.training import examples
from tests.browser.conftest import CUSTOMERS, enrol_passkey, prove_by_carrier
from tests.browser.test_combination_journey import kt_and_bc_customer
from tests.browser.test_offers_journey import _taken, kbank_autopayer
from tests.browser.test_offers_store_campaign import kbank_kt_subscriber
from tests.conftest import LIVE_SEED

KT = "KTTC000030"
PEOPLE = 700  # persons of the live alliance the model is developed on


@pytest.fixture(scope="module")
def credit_model(live_server: Any) -> Path:
    """A model developed on the live alliance, where the live server reads it (the newest version
    under ``models_dir`` is read on each request, so it may appear after the server started)."""
    folder = Path(live_server.settings.analytics.models_dir)
    if not versions(folder, NAME):
        frame, outcome, who = frame_of(examples(LIVE_SEED, today_kst(), PEOPLE, workers=2))
        save(folder, develop(frame, outcome, who, source=f"live alliance, {PEOPLE} persons"))
    return folder


def thin_file_kt_subscriber(alliance: Any) -> Any:
    """A KT subscriber with no bank account and no card (else any KT subscriber), whom no other
    live-server journey signs up as."""
    taken = _taken(alliance) | {
        kbank_autopayer(alliance).ci,
        kbank_autopayer(alliance, every_line=False).ci,
        kbank_kt_subscriber(alliance).ci,
        kt_and_bc_customer(alliance).ci,
    }
    people = [p for p in map(alliance.person, range(CUSTOMERS)) if p.ci not in taken]
    held = {p.ci: set(alliance.holdings(p)) for p in people}
    found = next((p for p in people if held[p.ci] == {"kt"}), None) or next(
        (p for p in people if "kt" in held[p.ci]), None
    )
    if found is None:
        raise LookupError("no KT subscriber left for the pre-screen journey")
    return found


async def test_prescreen_refused_until_linked_for_credit_assessment_then_band_and_reasons(
    chromium: str, live_server: Any, browser_alliance: Any, credit_model: Path, tmp_path: Any
) -> None:
    person = thin_file_kt_subscriber(browser_alliance)
    base = live_server.base
    adverse = {f.adverse for f in CATALOGUE}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = await browser.new_context(locale="ko-KR")
        page = await context.new_page()

        # sign-up by carrier proofing, then a passkey for signing the transmission request
        await page.goto(f"{base}/id/start?next=/id/account")
        await prove_by_carrier(context, page, base, person)
        await page.wait_for_url(f"{base}/id/account")
        await enrol_passkey(context, page, base)

        # single sign-on into the bank's app, and its loan pre-screen
        await page.goto(f"{base}/apps/woori-won")
        if await page.locator("text=동의하고 계속").count():
            await page.click("text=동의하고 계속")
        await page.wait_for_url(f"{base}/apps/woori-won")
        assert person.name in await page.inner_text("#user-name")
        await page.get_by_role("link", name="대출 사전심사").click()
        await page.wait_for_url(f"{base}/apps/woori-won/loan")

        # nothing linked for credit assessment: refused, with the way to link
        refusal = await page.locator("#refusal").inner_text()
        assert "신용평가 목적으로 연결한 마이데이터가 없습니다" in refusal, refusal
        assert await page.locator("#band").count() == 0 and await page.locator("#score").count() == 0
        await page.get_by_role("link", name="신용평가 목적으로 마이데이터 연결하기").click()

        # the MyData form asks for the purpose 신용평가; KT only, one passkey signature
        await page.wait_for_url(re.compile(r".*/mydata/link\?purpose=.*"))
        assert await page.input_value("input[name=purpose]") == "신용평가"
        for box in await page.locator("input[name=org]").all():
            await box.uncheck()
        await page.check(f"input[name=org][value={KT}]")
        await page.click("text=전송요구하고 서명하기")
        await page.wait_for_url(re.compile(r".*/id/sign/.*"))
        listed = await page.inner_text("#consents")
        assert "KT 전송요구" in listed and "우리은행" not in listed, listed
        await page.click("#sign")
        try:
            await page.wait_for_url(re.compile(r".*/mydata/link/.*/done"), timeout=20_000)
        except Exception:
            raise AssertionError(await page.inner_text("#passkey-status")) from None
        outcomes = await page.inner_text("#outcomes")
        assert "KT 연결 완료" in outcomes, outcomes

        # back in the bank's app: a band, the score and the reasons
        await page.goto(f"{base}/apps/woori-won")
        await page.get_by_role("link", name="대출 사전심사").click()
        await page.wait_for_url(f"{base}/apps/woori-won/loan")
        await page.locator("#band").wait_for()
        assert await page.locator("#refusal").count() == 0
        band = (await page.inner_text("#band")).strip()
        assert band in {code for _, code, _ in BANDS}, band
        assert (await page.inner_text("#band-words")).strip() == next(w for _, c, w in BANDS if c == band)
        score = (await page.inner_text("#score")).strip()
        assert re.fullmatch(r"-?\d+", score), score
        text = await page.inner_text("main")
        assert f"신용점수 {score}점" in text and "예상 부도확률" in text, text
        assert "금융 이력이 얇아 통신 납부 이력을 중심으로 평가했습니다" in text, text  # KT alone
        assert "사용한 기관 1곳" in text, text
        reasons = page.locator("#reasons")
        if await reasons.evaluate("e => e.tagName") == "OL":
            assert "점수를 낮춘 주요 이유" in text, text
            listed_reasons = await reasons.locator("li").all_inner_texts()
            assert listed_reasons and set(listed_reasons) <= adverse, listed_reasons
        else:
            assert "점수를 낮춘 두드러진 이유가 없습니다" in await reasons.inner_text()
        await page.screenshot(path=str(tmp_path / "prescreen.png"), full_page=True)

        await browser.close()
