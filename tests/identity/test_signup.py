"""Sign-up and sign-in by carrier proofing through KT's deployable, sessions, sign-out everywhere."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.conftest import CUSTOMERS

CODE = re.compile(r"본인확인 인증번호 \[(\d{6})\]")


def subscriber(alliance: Any, start: int) -> Any:
    for index in range(start, CUSTOMERS):
        person = alliance.person(index)
        if "kt" in alliance.holdings(person):
            return person
    raise LookupError("no KT subscriber")


async def texted_code(client: httpx.AsyncClient, phone: str) -> str:
    page = await client.get("/inst/kt/v1/carrier/demo/phone", params={"phone": phone})
    return CODE.findall(page.text)[0]


async def prove(client: httpx.AsyncClient, person: Any, *, next_url: str = "/id/account") -> httpx.Response:
    started = await client.post(
        "/id/start",
        data={
            "name": person.name,
            "birth_date": f"{person.birth_date:%Y%m%d}",
            "phone": person.phone,
            "next": next_url,
        },
    )
    assert started.status_code == 303, started.text
    verify_path = urlparse(started.headers["location"]).path
    return await client.post(verify_path, data={"code": await texted_code(client, person.phone)})


async def test_signup_signin_and_signout_everywhere(app: Any, alliance: Any) -> None:
    person = subscriber(alliance, 40)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://localhost") as first,
        httpx.AsyncClient(transport=transport, base_url="http://localhost") as second,
    ):
        done = await prove(first, person)
        assert done.status_code == 303 and done.headers["location"] == "/id/account"
        assert "samgak_session" in done.headers["set-cookie"] and "HttpOnly" in done.headers["set-cookie"]
        page = await first.get("/id/account")
        assert page.status_code == 200 and person.name in page.text
        assert page.headers["x-frame-options"] == "DENY"  # RFC-CJ
        again = await prove(second, person)  # the same CI signs into the same account
        assert again.status_code == 303
        assert page.text.count("로그인") >= 1 and (await second.get("/id/account")).text.count("<li>") == 2
        await second.post("/id/signout")
        for browser in (first, second):
            assert (await browser.get("/id/account")).status_code == 303


async def test_wrong_code_then_lockout(client: httpx.AsyncClient, alliance: Any) -> None:
    person = subscriber(alliance, 45)
    started = await client.post(
        "/id/start",
        data={"name": person.name, "birth_date": f"{person.birth_date:%Y%m%d}", "phone": person.phone},
    )
    verify_path = urlparse(started.headers["location"]).path
    code = await texted_code(client, person.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    statuses = [(await client.post(verify_path, data={"code": wrong})).status_code for _ in range(5)]
    assert statuses[:4] == [400] * 4 and statuses[4] == 403
    assert (
        await client.post(verify_path, data={"code": code})
    ).status_code == 303  # dead proofing → start over
    assert "samgak_session" not in (await client.post(verify_path, data={"code": code})).headers.get(
        "set-cookie", ""
    )


async def test_unknown_person_looks_the_same(client: httpx.AsyncClient) -> None:
    """No enumeration: a made-up person gets the same code page (and no text ever arrives)."""
    started = await client.post(
        "/id/start", data={"name": "없는사람", "birth_date": "19800101", "phone": "01000000000"}
    )
    assert started.status_code == 303 and "/id/verify/" in started.headers["location"]


@pytest.mark.parametrize(
    "evil", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "https:evil.example"]
)
async def test_rfc_or_next_stays_on_site(client: httpx.AsyncClient, alliance: Any, evil: str) -> None:
    page = await client.get("/id/start", params={"next": evil})
    assert 'value="/id/account"' in page.text


async def test_bad_input_is_explained(client: httpx.AsyncClient) -> None:
    response = await client.post("/id/start", data={"name": "", "birth_date": "1990", "phone": "123"})
    assert response.status_code == 400 and "확인하세요" in response.text
