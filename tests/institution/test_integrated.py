"""통합인증-002: the holder grants tokens on a consent the person signed once at the alliance CA
(IA102–IA104), and refuses anything the CA does not vouch for."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from samgak.kit.timeutil import today_kst
from tests.conftest import Operator, holding, tran_id
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol
from tests.identity.test_signup import prove

KT = ("kt", "KTTC000030")
SIGN_TX = "SAMGAKMD01_SAMGAKID01_20261125_000100"


def consent_document(operator: Operator, assets: list[str], **changes: Any) -> str:
    document = {
        "snd_org_code": KT[1],
        "rcv_org_code": operator.org_code,
        "is_scheduled": "true",
        "fnd_cycle": "1/w",
        "add_cycle": "1/w",
        "end_date": f"{today_kst() + timedelta(days=300):%Y%m%d}",
        "purpose": "통합 자산관리",
        "period": "1",
        "is_consent_trans_memo": "false",
        "is_consent_merchant_name_regno": "true",
        "target_info": [{"scope": "telecom.mgmt", "asset_list": [{"asset": a} for a in assets]}],
    } | changes
    return json.dumps(document, ensure_ascii=False)


@pytest.fixture(scope="module")
async def signed(app: Any, client: httpx.AsyncClient, operator: Operator, alliance: Any) -> dict[str, Any]:
    """One signature by the person over five consents for KT (one per test case)."""
    person, contract = holding(alliance, KT[0], "telecom", start=36)
    documents = {
        "ok": consent_document(operator, [contract.asset_key]),
        "all": consent_document(operator, ["all_asset"]),
        "list": consent_document(operator, [contract.asset_key]),
        "receiver": consent_document(operator, [contract.asset_key], rcv_org_code="OTHERORG01"),
        "other": consent_document(operator, [contract.asset_key]),
    }
    bundle = [
        {"tx_id": f"MD_{operator.org_code}_{KT[1]}_{name}", "consent_title": name, "consent": text}
        for name, text in documents.items()
    ]
    token = (
        await client.post(
            "/ca/oauth/2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": operator.client_id,
                "client_secret": operator.secret,
                "scope": "ca",
            },
        )
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    cert_tx_id = (
        await client.post(
            "/ca/sign_request",
            headers=auth,
            json={"sign_tx_id": SIGN_TX, "user_ci": person.ci, "consent_list": bundle},
        )
    ).json()["cert_tx_id"]
    authenticator = SoftAuthenticator()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as browser:
        assert (await prove(browser, person)).status_code == 303
        assert (await enrol(browser, authenticator)).status_code == 201
        started = (await browser.post(f"/id/sign/{cert_tx_id}/options")).json()
        done = await browser.post(
            f"/id/sign/{cert_tx_id}",
            json={
                "challenge_id": started["challenge_id"],
                "credential": authenticator.get(started["options"]),
            },
        )
        assert done.status_code == 200, done.text
    result = (
        await client.post(
            "/ca/sign_result", headers=auth, json={"cert_tx_id": cert_tx_id, "sign_tx_id": SIGN_TX}
        )
    ).json()
    by_tx = {s["tx_id"]: s["signed_consent"] for s in result["signed_consent_list"]}
    return {
        "person": person,
        "contract": contract,
        "cert_tx_id": cert_tx_id,
        "items": {c["consent_title"]: (c["tx_id"], c["consent"], by_tx[c["tx_id"]]) for c in bundle},
    }


def form(operator: Operator, signed: dict[str, Any], name: str, **changes: str) -> dict[str, str]:
    tx_id, consent, signature = signed["items"][name]
    return {
        "tx_id": tx_id,
        "org_code": KT[1],
        "grant_type": "password",
        "client_id": operator.client_id,
        "client_secret": operator.secret,
        "ca_code": "SAMGAKID01",
        "username": signed["person"].ci,
        "request_type": "1",
        "password_len": str(len(signature)),
        "password": signature,
        "auth_type": "1",
        "consent_type": "0",
        "consent_len": str(len(consent)),
        "consent": consent,
        "cert_tx_id": signed["cert_tx_id"],
    } | changes


async def token(client: httpx.AsyncClient, data: dict[str, str]) -> Any:
    return await client.post("/inst/kt/oauth/2.0/token", data=data, headers={"x-api-tran-id": tran_id()})


async def test_signed_consent_gets_scoped_token(
    client: httpx.AsyncClient, operator: Operator, signed: Any
) -> None:
    data = form(operator, signed, "ok")
    response = await token(client, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tx_id"] == data["tx_id"] and body["scope"] == "telecom.list telecom.mgmt"
    listing = await client.get(
        "/inst/kt/v1/telecom/telecoms",
        params={"org_code": KT[1]},
        headers={"Authorization": f"Bearer {body['access_token']}", "x-api-tran-id": tran_id()},
    )
    consented = {t["mgmt_id"]: t["is_consent"] for t in listing.json()["telecom_list"]}
    assert consented[signed["contract"].asset_key] == "true"
    replay = await token(client, data)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")


async def test_all_asset(client: httpx.AsyncClient, operator: Operator, signed: Any) -> None:
    assert (await token(client, form(operator, signed, "all"))).status_code == 200


async def test_list_only_request(client: httpx.AsyncClient, operator: Operator, signed: Any) -> None:
    response = await token(client, form(operator, signed, "list", request_type="0"))
    assert response.json()["scope"] == "telecom.list"


async def test_signed_for_another_receiver_refused(
    client: httpx.AsyncClient, operator: Operator, signed: Any
) -> None:
    response = await token(client, form(operator, signed, "receiver"))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize("tamper", ["changed_consent", "other_person", "other_signature", "forged"])
async def test_anything_the_ca_does_not_vouch_for_is_refused(
    client: httpx.AsyncClient, operator: Operator, signed: Any, alliance: Any, tamper: str
) -> None:
    data = form(operator, signed, "other")  # a refused attempt does not spend its tx_id
    if tamper == "changed_consent":
        data["consent"] = signed["items"]["all"][1]
    elif tamper == "other_person":
        data["username"] = alliance.person(signed["person"].index + 1).ci
    elif tamper == "other_signature":
        data["password"] = signed["items"]["ok"][2]
    else:
        data["password"] = "eyJhbGciOiJFUzI1NiJ9.eyJ0eF9pZCI6Im5vIn0.c2lnbmF0dXJl"
    response = await token(client, data)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant"), response.text
