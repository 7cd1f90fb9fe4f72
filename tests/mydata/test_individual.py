"""개별인증, the fallback for one holder: the person signs in at the holder's own page, chooses what
it sends, and comes back with a code the MyData service trades for tokens (개별인증-001/002); the
answer is taken once, and a refusal at the holder is shown, not a 500."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.conftest import CUSTOMERS
from tests.identity.test_signup import prove

OTHER_TESTS = {53, 54, 55}  # people test_linking signs in as


def k_bank_customer(alliance: Any, skip: int) -> Any:
    found = [
        alliance.person(i)
        for i in range(45, CUSTOMERS)
        if i not in OTHER_TESTS
        and any(s.kind == "deposit" for s in alliance.holdings(alliance.person(i)).get("k-bank", []))
    ]
    return found[skip]


async def start(browser: httpx.AsyncClient) -> str:
    """Ask for 개별인증 at K bank; the holder's page (a path on the same test app)."""
    asked = await browser.post(
        "/mydata/link/individual",
        data={"individual": "KBNK000089", "purpose": "통합 자산관리", "scheduled": "true", "cycle": "1/m"},
    )
    assert asked.status_code == 303, asked.text
    return urlparse(asked.headers["location"]).path


@pytest.fixture
async def browser(app: Any) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        yield client


async def test_individual_authentication_links_one_holder_and_collects_it(
    browser: Any, alliance: Any
) -> None:
    person = k_bank_customer(alliance, 0)
    assert (await prove(browser, person)).status_code == 303
    page = await start(browser)
    assert page.startswith("/inst/k-bank/oauth/2.0/authorize/")
    signed_in = await browser.post(
        f"{page}/login",
        data={"phone": person.phone, "birth_date": f"{person.birth_date:%Y%m%d}", "pin": "000000"},
    )
    assert signed_in.status_code == 303, signed_in.text
    assets = re.findall(r'name="asset" value="(\d+)"', (await browser.get(page)).text)
    assert assets
    back = await browser.post(f"{page}/consent", data={"decision": "agree", "asset": assets})
    assert back.status_code == 302
    callback = urlparse(back.headers["location"])
    assert callback.path == "/mydata/callback" and "code=" in callback.query
    done = await browser.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 200 and "케이뱅크 연결 완료" in done.text, done.text
    assert re.search(r"케이뱅크: 자산 [1-9]\d*건을 가져왔습니다", done.text), done.text
    picture = (await browser.get("/api/mydata/portfolio")).json()
    assert any(a["org_code"] == "KBNK000089" and a["kind"] == "deposit" for a in picture["assets"])
    consents = (await browser.get("/mydata/consents")).text
    assert "연결됨" in consents and "1/m" in consents  # the consent we asked for, as asked
    again = await browser.get(f"{callback.path}?{callback.query}")  # the answer is taken once
    assert again.status_code == 400 and "연결 요청을 찾을 수 없습니다" in again.text


async def test_a_refusal_at_the_holder_is_shown_and_links_nothing(browser: Any, alliance: Any) -> None:
    person = k_bank_customer(alliance, 1)
    assert (await prove(browser, person)).status_code == 303
    page = await start(browser)
    await browser.post(
        f"{page}/login",
        data={"phone": person.phone, "birth_date": f"{person.birth_date:%Y%m%d}", "pin": "000000"},
    )
    back = await browser.post(f"{page}/consent", data={"decision": "disagree"})
    callback = urlparse(back.headers["location"])
    assert "error=access_denied" in callback.query
    done = await browser.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 200 and "케이뱅크 연결 실패: 고객이 동의하지 않았습니다" in done.text
    assert (await browser.get("/api/mydata/portfolio")).json()["assets"] == []
    assert "거절됨" in (await browser.get("/mydata/consents")).text


async def test_a_state_that_is_not_yours_links_nothing(browser: Any, alliance: Any) -> None:
    assert (await prove(browser, k_bank_customer(alliance, 2))).status_code == 303
    answer = await browser.get("/mydata/callback?state=forged-state&code=anything")
    assert answer.status_code == 400 and "연결 요청을 찾을 수 없습니다" in answer.text
