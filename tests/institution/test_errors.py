"""Errors a real operator meets, each in the standard's shape and each changing nothing."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import update

from samgak.institution.calllog import CallEnvelope
from samgak.institution.models import BLOCKED_STATUS, CLOSED_STATUS, CoreAsset
from samgak.kit.ratelimit import RateLimiter
from tests.conftest import Operator, holding, tran_id

CARD = ("woori-card", "WRCD000041")


def institution(app: Any, slug: str) -> Any:
    return next(i for i in app.state.institutions if i.member.slug == slug)


async def set_status(app: Any, slug: str, asset_key: str, status: str) -> None:
    async with institution(app, slug).db.unit_of_work() as session:
        await session.execute(update(CoreAsset).where(CoreAsset.asset_key == asset_key).values(status=status))


async def test_closed_and_blocked_cards(client: Any, app: Any, operator: Operator, alliance: Any) -> None:
    person, card = holding(alliance, CARD[0], "card", start=3)
    tokens = await operator.link(CARD[0], CARD[1], person)
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "x-api-tran-id": tran_id()}
    url = f"/inst/woori-card/v1/card/cards/{card.asset_key}"
    try:
        await set_status(app, CARD[0], card.asset_key, BLOCKED_STATUS)
        blocked = await client.get(url, params={"org_code": CARD[1]}, headers=headers)
        assert (blocked.status_code, blocked.json()["rsp_code"]) == (403, "40305")
        await set_status(app, CARD[0], card.asset_key, CLOSED_STATUS)
        closed = await client.get(url, params={"org_code": CARD[1]}, headers=headers)
        assert (closed.status_code, closed.json()["rsp_code"]) == (404, "40404")
        listing = await client.get(
            "/inst/woori-card/v1/card/cards", params={"org_code": CARD[1]}, headers=headers
        )
        assert card.asset_key not in {c["card_id"] for c in listing.json()["card_list"]}
    finally:
        await set_status(app, CARD[0], card.asset_key, "01")


async def test_rate_limit_is_42902(client: Any, app: Any, operator: Operator, alliance: Any) -> None:
    person, _ = holding(alliance, CARD[0], "card", start=7)
    tokens = await operator.link(CARD[0], CARD[1], person)
    holder = institution(app, CARD[0])
    original, holder.limiter = holder.limiter, RateLimiter(0.001, 2)
    try:
        codes = []
        for _ in range(3):
            response = await client.get(
                "/inst/woori-card/v1/card/cards",
                params={"org_code": CARD[1]},
                headers={"Authorization": f"Bearer {tokens['access_token']}", "x-api-tran-id": tran_id()},
            )
            codes.append(response.json()["rsp_code"])
        assert codes == ["00000", "00000", "42902"]
    finally:
        holder.limiter = original


async def test_deadline_answers_50003(app: Any) -> None:
    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(5)

    envelope = CallEnvelope(slow, call_log=institution(app, CARD[0]).call_log, seconds=0.05)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=envelope), base_url="http://t") as c:
        response = await c.get("/", headers={"x-api-tran-id": "ABC"})
    assert (response.status_code, response.json()["rsp_code"], response.headers["x-api-tran-id"]) == (
        500,
        "50003",
        "ABC",
    )


async def test_unknown_url_and_method_in_standard_shape(client: Any) -> None:
    missing = await client.get("/inst/kt/v1/telecom/nothing", headers={"x-api-tran-id": tran_id()})
    assert (missing.status_code, missing.json()["rsp_code"]) == (404, "40401")
    wrong_method = await client.delete("/inst/kt/v1/telecom/telecoms", headers={"x-api-tran-id": tran_id()})
    assert wrong_method.json()["rsp_code"] == "40301"
    assert "detail" not in wrong_method.json()


async def test_common_apis(client: Any, operator: Operator, alliance: Any) -> None:
    person, _ = holding(alliance, "kt", "telecom", start=4)
    tokens = await operator.link("kt", "KTTC000030", person)
    apis = await client.get(
        "/inst/kt/v1/telecom/apis", params={"org_code": "KTTC000030"}, headers={"x-api-tran-id": tran_id()}
    )
    uris = [a["api_uri"] for a in apis.json()["api_list"]]
    assert "/v1/telecom/telecoms/paid-transactions" in uris and apis.json()["api_cnt"] == str(len(uris))
    consents = await client.get(
        "/inst/kt/v1/telecom/consents",
        params={"org_code": "KTTC000030"},
        headers={"Authorization": f"Bearer {tokens['access_token']}", "x-api-tran-id": tran_id()},
    )
    body = consents.json()
    assert (body["is_scheduled"], body["fnd_cycle"], body["period"]) == ("true", "1/w", "1")
    assert len(body["end_date"]) == 8


async def test_authorize_errors(client: Any, operator: Operator, alliance: Any) -> None:
    person, _ = holding(alliance, CARD[0], "card")
    params = {
        "org_code": CARD[1],
        "response_type": "code",
        "client_id": operator.client_id,
        "redirect_uri": operator.redirect_uri,
        "state": "s1",
    }
    bad_client = await client.get(
        "/inst/woori-card/oauth/2.0/authorize",
        params=params | {"client_id": "nobody"},
        headers={"x-user-ci": person.ci, "x-api-tran-id": tran_id()},
    )
    assert (bad_client.status_code, bad_client.json()["error"]) == (400, "unauthorized_client")
    bad_redirect = await client.get(
        "/inst/woori-card/oauth/2.0/authorize",
        params=params | {"redirect_uri": "https://evil.example/cb"},
        headers={"x-user-ci": person.ci, "x-api-tran-id": tran_id()},
    )
    assert (bad_redirect.status_code, bad_redirect.json()["error"]) == (400, "invalid_request")
    no_ci = await client.get(
        "/inst/woori-card/oauth/2.0/authorize", params=params, headers={"x-api-tran-id": tran_id()}
    )
    assert no_ci.status_code == 302 and "error=invalid_request" in no_ci.headers["location"]


async def test_other_person_signing_in_is_refused(client: Any, operator: Operator, alliance: Any) -> None:
    """x-user-ci names the operator's member; someone else signing in at the holder gets access_denied."""
    person, _ = holding(alliance, CARD[0], "card")
    other, _ = holding(alliance, CARD[0], "card", start=person.index + 1)
    response = await client.get(
        "/inst/woori-card/oauth/2.0/authorize",
        params={
            "org_code": CARD[1],
            "response_type": "code",
            "client_id": operator.client_id,
            "redirect_uri": operator.redirect_uri,
            "state": "s2",
        },
        headers={"x-user-ci": person.ci, "x-api-tran-id": tran_id()},
    )
    page = urlparse(response.headers["location"]).path
    shown = await client.get(page)  # the holder's sign-in page is never framed nor cached (RFC-CJ)
    assert shown.headers["x-frame-options"] == "DENY" and shown.headers["cache-control"] == "no-store"
    login = await client.post(
        f"{page}/login",
        data={"phone": other.phone, "birth_date": f"{other.birth_date:%Y%m%d}", "pin": "000000"},
    )
    assert login.status_code == 302
    query = parse_qs(urlparse(login.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s2"]


@pytest.mark.parametrize("attempts", [5])
async def test_login_locks_after_failures(
    client: Any, operator: Operator, alliance: Any, attempts: int
) -> None:
    person, _ = holding(alliance, CARD[0], "card", start=11)
    response = await client.get(
        "/inst/woori-card/oauth/2.0/authorize",
        params={
            "org_code": CARD[1],
            "response_type": "code",
            "client_id": operator.client_id,
            "redirect_uri": operator.redirect_uri,
            "state": "s3",
        },
        headers={"x-user-ci": person.ci, "x-api-tran-id": tran_id()},
    )
    page = urlparse(response.headers["location"]).path
    statuses = []
    for _ in range(attempts):
        wrong = await client.post(
            f"{page}/login",
            data={"phone": person.phone, "birth_date": f"{person.birth_date:%Y%m%d}", "pin": "999999"},
        )
        statuses.append(wrong.status_code)
    assert statuses[:-1] == [401] * (attempts - 1) and statuses[-1] == 302
    right = await client.post(
        f"{page}/login",
        data={"phone": person.phone, "birth_date": f"{person.birth_date:%Y%m%d}", "pin": "000000"},
    )
    assert right.json()["error"] == "invalid_request"  # the authorization is dead


async def test_every_call_is_logged_with_tran_and_type(
    client: Any, app: Any, operator: Operator, alliance: Any
) -> None:
    from sqlalchemy import select

    from samgak.institution.models import GwApiCall

    person, _ = holding(alliance, CARD[0], "card", start=13)
    tokens = await operator.link(CARD[0], CARD[1], person)
    marker = tran_id()
    await client.get(
        "/inst/woori-card/v1/card/cards",
        params={"org_code": CARD[1]},
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "x-api-tran-id": marker,
            "x-api-type": "user-refresh",
        },
    )
    holder = institution(app, CARD[0])
    await holder.call_log.flush()
    async with holder.db.read_sessions() as session:
        row = (await session.scalars(select(GwApiCall).where(GwApiCall.tran_id == marker))).one()
    assert (row.api, row.api_type, row.status, row.client_org_code) == (
        "/v1/card/cards",
        "user-refresh",
        200,
        operator.org_code,
    )
