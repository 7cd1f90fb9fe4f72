"""Carrier identity verification at KT: the code flow, wrong codes, lockout, no enumeration."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from samgak.institution.models import GwCarrierVerification
from samgak.kit.timeutil import utcnow
from tests.conftest import CUSTOMERS, Operator, tran_id

KT = ("kt", "KTTC000030")
BASE = f"/inst/{KT[0]}"
CODE = re.compile(r"본인확인 인증번호 \[(\d{6})\]")


@pytest.fixture(scope="module")
async def token(client: httpx.AsyncClient, operator: Operator) -> str:
    response = await client.post(
        f"{BASE}/oauth/2.0/token",
        data={
            "org_code": KT[1],
            "grant_type": "client_credentials",
            "client_id": operator.client_id,
            "client_secret": operator.secret,
            "scope": "carrier",
        },
        headers={"x-api-tran-id": tran_id()},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def subscribers(alliance: Any, start: int) -> list[Any]:
    """KT subscribers of the seeded alliance from index ``start`` on, one per phone number."""
    found: dict[str, Any] = {}
    for index in range(start, CUSTOMERS):
        person = alliance.person(index)
        if "kt" in alliance.holdings(person):
            found.setdefault(person.phone, person)
    return list(found.values())


@pytest.fixture(scope="module")
def people(alliance: Any) -> list[Any]:
    found = subscribers(alliance, 0)  # people 0–19: no identity test proves them
    assert len(found) >= 6
    return found


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "x-api-tran-id": tran_id()}


async def start(client: httpx.AsyncClient, token: str, person: Any, **override: str) -> httpx.Response:
    body = {
        "name": person.name,
        "birth_date": f"{person.birth_date:%Y%m%d}",
        "phone": person.phone,
        **override,
    }
    return await client.post(f"{BASE}/v1/carrier/verifications", json=body, headers=headers(token))


async def confirm(client: httpx.AsyncClient, token: str, verification_id: str, code: Any) -> httpx.Response:
    return await client.post(
        f"{BASE}/v1/carrier/verifications/{verification_id}/confirm",
        json={"code": code},
        headers=headers(token),
    )


async def inbox(client: httpx.AsyncClient, phone: str) -> list[str]:
    """The codes on the demo phone, newest first."""
    response = await client.get(f"{BASE}/v1/carrier/demo/phone", params={"phone": phone})
    assert response.status_code == 200, response.text
    assert "text/html" in response.headers["content-type"]
    return CODE.findall(response.text)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_code_flow_success(client: httpx.AsyncClient, token: str, people: list[Any]) -> None:
    person = people[0]
    response = await start(
        client, token, person, phone=f"{person.phone[:3]}-{person.phone[3:7]}-{person.phone[7:]}"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rsp_code"] == "00000" and body["expires_in"] == "180"
    assert len(body["verification_id"]) >= 40
    codes = await inbox(client, person.phone)
    assert codes, "the code was texted"
    page = await client.get(f"{BASE}/v1/carrier/demo/phone", params={"phone": person.phone})
    assert f"[KT] 본인확인 인증번호 [{codes[0]}]를 입력해주세요." in page.text

    done = await confirm(client, token, body["verification_id"], codes[0])
    assert done.status_code == 200, done.text
    assert done.json() == {"rsp_code": "00000", "rsp_msg": "성공", "ci": person.ci, "name": person.name}
    twice = await confirm(client, token, body["verification_id"], codes[0])
    assert twice.status_code == 403 and twice.json()["rsp_code"] == "40301"


async def test_wrong_code_costs_an_attempt_then_right_code_works(
    client: httpx.AsyncClient, token: str, people: list[Any]
) -> None:
    person = people[1]
    verification_id = (await start(client, token, person)).json()["verification_id"]
    code = (await inbox(client, person.phone))[0]
    for remaining in (4, 3):
        response = await confirm(client, token, verification_id, wrong(code))
        assert response.status_code == 400, response.text
        assert response.json()["rsp_code"] == "40001"
        assert f"남은 시도 {remaining}회" in response.json()["rsp_msg"]
    done = await confirm(client, token, verification_id, code)
    assert done.status_code == 200 and done.json()["ci"] == person.ci


async def test_lockout_after_max_attempts_even_with_right_code(
    client: httpx.AsyncClient, token: str, people: list[Any]
) -> None:
    person = people[2]
    verification_id = (await start(client, token, person)).json()["verification_id"]
    code = (await inbox(client, person.phone))[0]
    statuses = [(await confirm(client, token, verification_id, wrong(code))).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 403]
    locked = await confirm(client, token, verification_id, code)
    assert locked.status_code == 403
    assert locked.json() == {"rsp_code": "40301", "rsp_msg": "인증 시도 횟수를 초과했거나 만료되었습니다"}


async def test_expired_code_never_succeeds(
    app: Any, client: httpx.AsyncClient, token: str, people: list[Any]
) -> None:
    person = people[3]
    verification_id = (await start(client, token, person)).json()["verification_id"]
    code = (await inbox(client, person.phone))[0]
    kt = next(i for i in app.state.institutions if i.member.slug == KT[0])
    async with kt.db.unit_of_work() as session:
        await session.execute(
            update(GwCarrierVerification)
            .where(GwCarrierVerification.id == verification_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = await confirm(client, token, verification_id, code)
    assert expired.status_code == 403 and expired.json()["rsp_code"] == "40301"


async def test_no_enumeration(client: httpx.AsyncClient, token: str, people: list[Any]) -> None:
    person = people[4]
    before = await inbox(client, person.phone)
    matched = await start(client, token, person)
    wrong_name = await start(client, token, person, name=person.name + "가")
    wrong_birth = await start(client, token, person, birth_date="19000101")
    stranger = await start(client, token, person, phone="01099999999")
    answers = [matched, wrong_name, wrong_birth, stranger]
    assert {r.status_code for r in answers} == {200}
    assert {tuple(sorted(r.json())) for r in answers} == {
        ("expires_in", "rsp_code", "rsp_msg", "verification_id")
    }
    assert {(r.json()["rsp_code"], r.json()["expires_in"]) for r in answers} == {("00000", "180")}
    assert len(await inbox(client, person.phone)) == len(before) + 1, "only the match was texted"
    assert await inbox(client, "01099999999") == []
    code = (await inbox(client, person.phone))[0]
    for refused in answers[1:]:
        response = await confirm(client, token, refused.json()["verification_id"], code)
        assert response.status_code == 400 and response.json()["rsp_code"] == "40001"


async def test_rate_limit_per_phone(client: httpx.AsyncClient, token: str, people: list[Any]) -> None:
    person = people[5]
    for _ in range(5):
        assert (await start(client, token, person)).status_code == 200
    limited = await start(client, token, person, name="다른이름")
    assert limited.status_code == 429 and limited.json()["rsp_code"] == "42902"


@pytest.mark.parametrize(
    "override", [{"phone": "0212345678"}, {"phone": "010-12"}, {"birth_date": "19991340"}, {"name": "  "}]
)
async def test_bad_fields(
    client: httpx.AsyncClient, token: str, people: list[Any], override: dict[str, str]
) -> None:
    response = await start(client, token, people[0], **override)
    assert response.status_code == 400 and response.json()["rsp_code"] == "40001"


async def test_unknown_verification_and_other_clients(client: httpx.AsyncClient, token: str) -> None:
    response = await confirm(client, token, "no-such-verification", "123456")
    assert response.status_code == 404 and response.json()["rsp_code"] == "40402"


async def test_needs_carrier_scope(client: httpx.AsyncClient, people: list[Any]) -> None:
    no_token = await client.post(
        f"{BASE}/v1/carrier/verifications", json={}, headers={"x-api-tran-id": tran_id()}
    )
    assert no_token.status_code == 401 and no_token.json()["rsp_code"] == "40101"
    at_bank = await client.post(
        "/inst/woori-bank/v1/carrier/verifications", json={}, headers={"x-api-tran-id": tran_id()}
    )
    assert at_bank.status_code == 404


async def test_demo_phone_is_hidden_in_prod(app: Any, client: httpx.AsyncClient, people: list[Any]) -> None:
    kt = next(i for i in app.state.institutions if i.member.slug == KT[0])
    original = kt.settings
    kt.settings = original.model_copy(update={"env": "prod"})
    try:
        response = await client.get(f"{BASE}/v1/carrier/demo/phone", params={"phone": people[0].phone})
    finally:
        kt.settings = original
    assert response.status_code == 404 and response.json()["rsp_code"] == "40401"
