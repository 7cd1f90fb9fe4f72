"""Pseudonymized combination in a real browser (issue #7), the staff journey end to end: a customer
of both KT and BC Card signs up and agrees to marketing → KT and BC Card staff export their
marketing data specs from their own consoles → the agency's staff link the two exports (the linkage
report gives the match rates) → start a release review at k=3 → a decision without reasons is
refused, then the reviewer approves with reasons → the segment builder breaks the release down by
sex (with its chart) and saves a segment → the segment becomes a joint campaign → KT re-identifies
its customers in the audience and hands them over → the campaign is sent → the customer finds it in
their inbox on /offers."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import async_playwright

from tests.browser.conftest import CUSTOMERS, prove_by_carrier
from tests.browser.test_offers_journey import _taken, kbank_autopayer
from tests.browser.test_offers_store_campaign import kbank_kt_subscriber
from tests.conftest import STAFF_KEY

MEMBERS = {"kt": "kt-marketing", "bc-card": "bc-card-marketing"}  # slug → data spec
PRODUCT = "bc-paybook"


def both(alliance: Any) -> list[Any]:
    """The live alliance's customers of both KT and BC Card: who a KT × BC Card combination links."""
    people = map(alliance.person, range(CUSTOMERS))
    return [p for p in people if set(MEMBERS) <= set(alliance.holdings(p))]


def kt_and_bc_customer(alliance: Any) -> Any:
    """A customer of both KT and BC Card, not delinquent, whom no other live-server journey signs
    up as."""
    taken = _taken(alliance) | {
        kbank_autopayer(alliance).ci,
        kbank_autopayer(alliance, every_line=False).ci,
        kbank_kt_subscriber(alliance).ci,
    }
    for person in both(alliance):
        if person.ci not in taken and not person.delinquent:
            return person
    raise LookupError("no KT and BC Card customer left for the combination journey")


async def test_export_combine_review_segment_campaign(
    chromium: str, live_server: Any, browser_alliance: Any, tmp_path: Any
) -> None:
    person = kt_and_bc_customer(browser_alliance)
    linked_people = len(both(browser_alliance))
    base = live_server.base
    campaign_name = f"KT×BC 공동 캠페인 {tmp_path.name[-8:]}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )

        # the customer signs up by carrier proofing and agrees to marketing
        customer = await browser.new_context(locale="ko-KR")
        page = await customer.new_page()
        await page.goto(f"{base}/offers")
        await page.wait_for_url(re.compile(r".*/id/start.*"))
        await prove_by_carrier(customer, page, base, person)
        await page.wait_for_url(f"{base}/offers")
        assert person.name in await page.inner_text("h1")
        await page.locator("#marketing").get_by_role("button", name="동의하기").click()
        await page.wait_for_url(re.compile(r".*/offers\?message=.*"))
        assert "마케팅 정보 수신에 동의했습니다." in await page.inner_text("#message")

        # each member's staff export their data spec to the agency
        staff_context = await browser.new_context(locale="ko-KR")
        staff = await staff_context.new_page()
        exported: dict[str, str] = {}
        for slug, spec in MEMBERS.items():
            console = f"{base}/inst/{slug}/combine"
            await staff.goto(console)
            await staff.get_by_label("직원 키").fill(STAFF_KEY)
            await staff.get_by_role("button", name="로그인").click()
            await staff.wait_for_selector("text=반출 (export)")
            form = staff.locator("form", has=staff.locator(f"input[name=spec][value='{spec}']"))
            await form.get_by_role("button", name="반출").click()
            await staff.wait_for_url(re.compile(rf".*/inst/{slug}/combine\?message=.*"))
            said = await staff.get_by_role("status").inner_text()
            found = re.search(
                rf"([A-Z0-9]{{10}}-{spec}-\d{{14}}-[0-9a-f]{{4}}): ([\d,]+)건을 결합전문기관에 보냈습니다",
                said,
            )
            assert found, said
            exported[slug] = found.group(1)
            assert found.group(1) in await staff.locator("table").inner_text()  # listed as at the agency

        # the agency's staff link both exports with DuckDB; the linkage report gives match rates
        await staff.goto(f"{base}/analytics/staff")
        await staff.get_by_label("직원 키").fill(STAFF_KEY)
        await staff.get_by_role("button", name="로그인").click()
        await staff.wait_for_selector("#inbox")
        for export_id in exported.values():
            await staff.get_by_label(export_id, exact=True).check()
        await staff.locator("#inbox").get_by_label("엔진").select_option("duckdb")
        await staff.locator("#inbox").get_by_role("button", name="결합").click()
        await staff.wait_for_url(re.compile(r".*/analytics/staff\?message=.*"))
        said = await staff.inner_text("#message")
        found = re.search(r"(C\w+): ([\d,]+)명을 결합했습니다", said)
        assert found, said
        combination_id = found.group(1)
        assert int(found.group(2).replace(",", "")) == linked_people, (said, linked_people)
        combination = staff.locator(f"[data-combination='{combination_id}']")
        report = await combination.locator("table").inner_text()
        assert "결합률" in report, report
        for export_id in exported.values():
            assert export_id in report, report
        assert len(re.findall(r"\d+\.\d%", report)) == len(exported), report
        assert "duckdb" in await combination.locator("h3").inner_text()

        # a release review at k=3, nothing suppressed, no ℓ or t
        await combination.get_by_label("k", exact=True).fill("3")
        await combination.get_by_label("삭제 허용 %").fill("0")
        await combination.get_by_label("l", exact=True).fill("")
        await combination.get_by_label("t", exact=True).fill("")
        await combination.get_by_label("엔진").select_option("duckdb")
        await combination.get_by_role("button", name="반출심사 시작").click()
        await staff.wait_for_url(re.compile(r".*/analytics/staff/reviews/\w+$"))
        review_id = staff.url.rsplit("/", 1)[1]
        assert f"반출심사 {review_id}" in await staff.inner_text("h1")
        shown_k = await staff.inner_text("#k")
        assert int(shown_k.split()[0]) >= 3, shown_k
        assert combination_id in await staff.inner_text("main section >> nth=0")

        # approving without reasons is refused and says what is missing; nothing is approved
        decision = staff.locator("#decision")
        await decision.get_by_label("심사위원 이름").fill("김심사")
        await decision.get_by_label("승인").check()
        await decision.get_by_role("button", name="결정 기록").click()
        await staff.wait_for_url(re.compile(r".*/analytics/staff(/reviews/\w+)?\?message=.*"))
        refused = await staff.inner_text("#message")
        assert "판단 사유" in refused and "결정을 기록했습니다" not in refused, refused
        await staff.goto(f"{base}/analytics/staff")
        row = staff.locator(f"#reviews tr[data-review='{review_id}']")
        assert "대기" in await row.inner_text()
        assert await row.get_by_role("link", name="세그먼트 만들기").count() == 0
        await staff.goto(f"{base}/analytics/staff/reviews/{review_id}")
        assert await staff.locator("#decided").count() == 0

        # approved with a reviewer and reasons
        decision = staff.locator("#decision")
        await decision.get_by_label("심사위원 이름").fill("김심사")
        await decision.get_by_label("판단 사유").fill("k=3 충족, 목적과 항목이 맞음")
        await decision.get_by_label("승인").check()
        await decision.get_by_role("button", name="결정 기록").click()
        await staff.wait_for_url(re.compile(rf".*/analytics/staff/reviews/{review_id}\?message=.*"))
        assert f"{review_id}: 결정을 기록했습니다" in await staff.inner_text("#message")
        decided = await staff.inner_text("#decided")
        assert "승인" in decided and "김심사" in decided and "k=3 충족" in decided, decided

        # the segment builder: the breakdown by sex with its chart, then the segment saved
        await decision.get_by_role("link", name="세그먼트 만들기").click()
        await staff.wait_for_url(re.compile(rf".*/analytics/staff/releases/{review_id}$"))
        assert "세그먼트 만들기" in await staff.inner_text("h1")
        await staff.get_by_label("나눠 볼 항목").select_option("sex")
        await staff.locator("#builder").get_by_role("button", name="보기").click()
        await staff.wait_for_url(re.compile(rf".*/analytics/staff/releases/{review_id}\?.*by=sex.*"))
        heading = await staff.inner_text("#report h2")
        assert f"세그먼트 {linked_people}명 / 전체 {linked_people}명" in heading, heading
        chart = staff.locator("#report svg")
        await chart.wait_for(state="visible")
        assert "sex별 고객 수" in await staff.locator("#report").inner_html()
        await staff.screenshot(path=str(tmp_path / "combination-segment-builder.png"), full_page=True)
        segment_name = f"KT×BC 전체 {tmp_path.name[-8:]}"
        await staff.get_by_label("세그먼트 이름").fill(segment_name)
        await staff.get_by_role("button", name="세그먼트 저장").click()
        await staff.wait_for_url(re.compile(r".*/analytics/staff\?message=.*"))
        said = await staff.inner_text("#message")
        found = re.search(r"세그먼트 (\S+)를 저장했습니다", said)
        assert found, said
        segment_id = found.group(1)
        segment = staff.locator(f"#segments [data-segment='{segment_id}']")
        assert segment_name in await segment.inner_text()
        assert f"{linked_people}명" in await segment.inner_text()

        # the segment becomes a joint campaign, nobody held out; the members are asked to re-identify
        await segment.get_by_label("캠페인 이름").fill(campaign_name)
        await segment.get_by_label("상품").select_option(PRODUCT)
        await segment.get_by_label("비교군 %").fill("0")
        await segment.get_by_role("button", name="캠페인으로 넘기기").click()
        await staff.wait_for_url(re.compile(r".*/analytics/staff\?message=.*"))
        said = await staff.inner_text("#message")
        found = re.search(r"캠페인 (\S+)을 만들고 회원사에 재식별을 요청했습니다", said)
        assert found, said
        campaign_id = found.group(1)
        assert campaign_id in await segment.inner_text()  # handed over: no form any more
        assert await segment.locator("form").count() == 0

        # KT re-identifies its customers in the audience; only those who agreed to marketing count
        await staff.goto(f"{base}/inst/kt/combine")
        asked = staff.locator("form", has_text=campaign_id)
        assert await asked.count() == 1
        assert campaign_name in await asked.inner_text()
        await asked.get_by_role("button", name="재식별 후 전달").click()
        await staff.wait_for_url(re.compile(r".*/inst/kt/combine\?message=.*"))
        said = await staff.get_by_role("status").inner_text()
        found = re.search(
            r"재식별한 고객 중 ([\d,]+)명이 캠페인 대상\(마케팅 동의 고객\)으로 전달되었습니다", said
        )
        assert found and int(found.group(1).replace(",", "")) >= 1, said
        assert "전달함" in await staff.locator("form", has_text=campaign_id).inner_text()

        # the partnership console sends the campaign
        await staff.goto(f"{base}/offers/staff")
        await staff.get_by_label("직원 키").fill(STAFF_KEY)
        await staff.get_by_role("button", name="로그인").click()
        await staff.wait_for_selector("#campaigns")
        row = staff.locator(f"#campaigns tr[data-campaign='{campaign_id}']")
        assert campaign_name in await row.inner_text()
        assert f"release:{segment_id}" in await row.inner_text()  # the campaign's audience
        await row.get_by_role("button", name="보내기").click()
        await staff.wait_for_url(re.compile(r".*/offers/staff\?message=.*"))
        sent = await staff.inner_text("#message")
        found = re.search(rf"{campaign_id}: (\d+)명에게 보냈고 0명은 비교군입니다", sent)
        assert found and int(found.group(1)) >= 1, sent
        assert await row.get_by_role("button", name="보내기").count() == 0

        # the customer's inbox has it
        await page.goto(f"{base}/offers")
        assert campaign_name in await page.inner_text("#inbox")
        await page.screenshot(path=str(tmp_path / "combination-campaign-inbox.png"), full_page=True)

        await browser.close()
