"""Export → combine → review → approve → segment → campaign, end to end on the seeded alliance:
members export pseudonymized data from their consoles, the agency links KT × BC Card, a reviewer
approves a k-anonymous release, a segment of it becomes a campaign, and the members re-identify
only their own customers, of whom only those who agreed to marketing are kept."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from samgak.analytics.agency import agency_key
from tests.identity.test_signup import prove

KT, BC = "KTTC000030", "BCCD000031"
AGREEING, NOT_AGREEING = 48, 52  # both KT and BC Card customers (seed 7)


@pytest.fixture(scope="module")
async def staff(app: Any) -> Any:
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    for page in ("/inst/kt/combine", "/inst/bc-card/combine", "/analytics/staff", "/offers/staff"):
        signed_in = await browser.post(f"{page}/login", data={"key": app.state.staff_key})
        assert signed_in.status_code == 303, page
    yield browser
    await browser.aclose()


async def _export(staff: httpx.AsyncClient, slug: str, spec: str) -> str:
    done = await staff.post(f"/inst/{slug}/combine/exports", data={"spec": spec})
    assert done.status_code == 303
    page = await staff.get(done.headers["location"])
    assert "결합전문기관에 보냈습니다" in page.text, page.text
    found = re.search(r"([A-Z0-9]{10}-" + spec + r"-\d{14}-[0-9a-f]{4})", page.text)
    assert found, page.text
    return found.group(1)


async def test_export_holds_no_identifier_and_keys_only_the_agency_can_make(
    app: Any, staff: httpx.AsyncClient, settings: Any, alliance: Any
) -> None:
    export_id = await _export(staff, "kt", "kt-marketing")
    folder = Path(settings.analytics.data_dir) / "inbox" / export_id
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    data = pq.read_table(folder / "data.parquet").to_pydict()
    assert set(data) == {"join_key", "age", "sex", "region", "telecom_bill", "telecom_pay", "micro_payments"}
    assert manifest["rows"] == len(data["join_key"]) and manifest["org_code"] == KT
    assert data["join_key"] == sorted(data["join_key"])  # not the member's customer order
    person = alliance.person(AGREEING)
    digest = hashlib.sha256(person.ci.encode()).digest()
    key = hmac.new(agency_key(settings), digest, hashlib.sha256).hexdigest()
    assert key in data["join_key"]
    text = (folder / "data.parquet").read_bytes()
    assert person.ci.encode() not in text and person.phone.encode() not in text
    keymap = Path(settings.institution.combine_dir.format(slug="kt")) / f"{export_id}.keymap.parquet"
    assert keymap.exists() and not keymap.is_relative_to(Path(settings.analytics.data_dir))


async def test_join_keys_need_a_member_token(client: httpx.AsyncClient) -> None:
    refused = await client.post("/api/combine/v1/join-keys", json={"digests": ["0" * 64]})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


async def test_combine_review_approve_segment_campaign(
    app: Any, staff: httpx.AsyncClient, settings: Any, alliance: Any
) -> None:
    kt_export = await _export(staff, "kt", "kt-marketing")
    bc_export = await _export(staff, "bc-card", "bc-card-marketing")
    linked = await staff.post("/analytics/staff/combinations", data={"export": [kt_export, bc_export]})
    assert linked.status_code == 303
    console = await staff.get("/analytics/staff")
    combination_id = console.text.split('data-combination="')[1].split('"')[0]
    both = [i for i in range(60) if {"kt", "bc-card"} <= set(alliance.holdings(alliance.person(i)))]
    combined = Path(settings.analytics.data_dir) / "agency" / "combinations" / combination_id
    rows = pq.read_table(combined / "combined.parquet").to_pydict()
    assert len(rows["serial"]) == len(both) and "join_key" not in rows  # serials in place of keys
    assert sorted(rows["serial"]) == list(range(1, len(both) + 1))

    reviewed = await staff.post(
        f"/analytics/staff/combinations/{combination_id}/reviews",
        data={"k": "3", "suppression_pct": "0", "l": "", "t": "", "engine": "duckdb"},
    )
    assert reviewed.status_code == 303
    page = await staff.get(reviewed.headers["location"])
    review_id = reviewed.headers["location"].rsplit("/", 1)[1]
    releases = Path(settings.analytics.data_dir) / "releases"
    assert not (releases / review_id).exists()  # nothing leaves before the decision
    assert 'id="k"' in page.text
    no_reasons = await staff.post(
        f"/analytics/staff/reviews/{review_id}/decision", data={"reviewer": "김심사", "decision": "approved"}
    )
    assert no_reasons.headers["location"].startswith(f"/analytics/staff/reviews/{review_id}?")
    assert "심사위원 이름과 판단 사유를 적으세요" in (await staff.get(no_reasons.headers["location"])).text
    assert not (releases / review_id).exists()
    approved = await staff.post(
        f"/analytics/staff/reviews/{review_id}/decision",
        data={"reviewer": "김심사", "decision": "approved", "reasons": "k=3 충족, 목적과 항목이 맞음"},
    )
    assert approved.status_code == 303 and (releases / review_id / "release.parquet").exists()
    release = pq.read_table(releases / review_id / "release.parquet").to_pydict()
    assert len(release["serial"]) == len(both)
    assert set(release["region"]) <= {"수도권", "충청권", "호남권", "영남권", "강원·제주", "*"} or set(
        release["region"]
    ) <= {
        "서울",
        "부산",
        "대구",
        "인천",
        "광주",
        "대전",
        "울산",
        "세종",
        "경기",
        "강원",
        "충북",
        "충남",
        "전북",
        "전남",
        "경북",
        "경남",
        "제주",
    }
    again = await staff.post(
        f"/analytics/staff/reviews/{review_id}/decision",
        data={"reviewer": "이심사", "decision": "rejected", "reasons": "바꿈"},
    )
    assert "이미 결정된" in (await staff.get(again.headers["location"])).text

    builder = await staff.get(f"/analytics/staff/releases/{review_id}", params={"by": "sex"})
    assert builder.status_code == 200 and "<svg" in builder.text
    chart = await staff.get(f"/analytics/staff/releases/{review_id}/chart.svg", params={"by": "sex"})
    assert chart.headers["content-type"].startswith("image/svg+xml")
    saved = await staff.post(f"/analytics/staff/releases/{review_id}/segments", data={"name": "KT×BC 전체"})
    assert "저장했습니다" in (await staff.get(saved.headers["location"])).text
    console = await staff.get("/analytics/staff")
    segment_id = console.text.split('data-segment="')[1].split('"')[0]

    agreeing = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    assert (await prove(agreeing, alliance.person(AGREEING), next_url="/offers")).status_code == 303
    assert (await agreeing.post("/offers/marketing", data={"agree": "1"})).status_code == 303
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    assert (await prove(other, alliance.person(NOT_AGREEING), next_url="/offers")).status_code == 303

    handed = await staff.post(
        f"/analytics/staff/segments/{segment_id}/campaign",
        data={"name": "KT×BC 공동 캠페인", "product": "bc-paybook", "holdout_pct": "0"},
    )
    assert "재식별을 요청했습니다" in (await staff.get(handed.headers["location"])).text
    member_page = await staff.get("/inst/kt/combine")
    request_id = member_page.text.split("/combine/requests/")[1].split('"')[0]
    done = await staff.post(f"/inst/kt/combine/requests/{request_id}")
    told = (await staff.get(done.headers["location"])).text
    assert "1명이 캠페인 대상" in told, told  # 48 agreed; 52 did not; others have no account

    offers_page = await staff.get("/offers/staff")
    campaign_id = offers_page.text.split('data-campaign="')[1].split('"')[0]
    launched = await staff.post(f"/offers/staff/campaigns/{campaign_id}/launch")
    assert "1명에게 보냈고" in (await staff.get(launched.headers["location"])).text
    inbox = await agreeing.get("/offers")
    assert "KT×BC 공동 캠페인" in inbox.text
    assert "KT×BC 공동 캠페인" not in (await other.get("/offers")).text
    await agreeing.aclose()
    await other.aclose()
