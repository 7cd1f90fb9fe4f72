"""The integrated-auth certificate authority (IA101–IA104): one passkey signature over a bundle of
transmission requests, one signed consent per holder, verification by the holder."""

from __future__ import annotations

import json
from typing import Any

import httpx

from samgak import directory
from tests.conftest import Operator
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol
from tests.identity.test_signup import prove, subscriber


async def ca_token(client: httpx.AsyncClient, client_id: str, secret: str) -> str:
    response = await client.post(
        "/ca/oauth/2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "ca",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def consents(person: Any) -> list[dict[str, str]]:
    return [
        {
            "tx_id": f"MD_SAMGAKMD01_{org}_{n}",
            "consent_title": f"{name} 전송요구",
            "consent": json.dumps({"snd_org_code": org, "rcv_org_code": "SAMGAKMD01", "purpose": "자산관리"}),
        }
        for n, (org, name) in enumerate((("WRBK000020", "우리은행"), ("KTTC000030", "KT")))
    ]


async def test_one_signature_for_every_holder(
    app: Any, client: httpx.AsyncClient, operator: Operator, alliance: Any
) -> None:
    person = subscriber(alliance, 20)
    bundle = consents(person)
    service_token = await ca_token(client, operator.client_id, operator.secret)  # IA101
    auth = {"Authorization": f"Bearer {service_token}"}
    requested = await client.post(
        "/ca/sign_request",
        headers=auth,
        json={  # IA102
            "sign_tx_id": "SAMGAKMD01_SAMGAKID01_20261125_000001",
            "user_ci": person.ci,
            "real_name": person.name,
            "phone_num": person.phone,
            "request_title": "마이데이터 연결",
            "consent_type": "0",
            "consent_cnt": str(len(bundle)),
            "consent_list": bundle,
        },
    )
    assert requested.json()["rsp_code"] == "00000", requested.text
    cert_tx_id = requested.json()["cert_tx_id"]
    pending = await client.post(
        "/ca/sign_result",
        headers=auth,
        json={"cert_tx_id": cert_tx_id, "sign_tx_id": "SAMGAKMD01_SAMGAKID01_20261125_000001"},
    )
    assert pending.status_code == 409  # not signed yet

    authenticator = SoftAuthenticator()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as browser:
        assert (await prove(browser, person)).status_code == 303
        assert (await enrol(browser, authenticator)).status_code == 201
        started = (await browser.post(f"/id/sign/{cert_tx_id}/options")).json()
        assert started["consents"] == ["우리은행 전송요구", "KT 전송요구"]
        signed = await browser.post(
            f"/id/sign/{cert_tx_id}",
            json={
                "challenge_id": started["challenge_id"],
                "credential": authenticator.get(started["options"]),
            },
        )
        assert signed.status_code == 200, signed.text

    result = await client.post(
        "/ca/sign_result",
        headers=auth,
        json={  # IA103
            "cert_tx_id": cert_tx_id,
            "sign_tx_id": "SAMGAKMD01_SAMGAKID01_20261125_000001",
        },
    )
    signed_list = result.json()["signed_consent_list"]
    assert [s["tx_id"] for s in signed_list] == [c["tx_id"] for c in bundle]

    async with app.state.platform_db.unit_of_work() as session:
        holder_id, holder_secret = await directory.register_support_client(session, "KTTC000030")
    holder = {"Authorization": f"Bearer {await ca_token(client, holder_id, holder_secret)}"}
    kt = signed_list[1]
    verified = await client.post(
        "/ca/sign_verification",
        headers=holder,
        json={  # IA104
            "tx_id": kt["tx_id"],
            "cert_tx_id": cert_tx_id,
            "signed_consent": kt["signed_consent"],
            "signed_consent_len": kt["signed_consent_len"],
            "consent_type": "0",
            "consent": bundle[1]["consent"],
            "consent_len": str(len(bundle[1]["consent"])),
        },
    )
    assert verified.json()["result"] == "true" and verified.json()["user_ci"] == person.ci
    tampered = await client.post(
        "/ca/sign_verification",
        headers=holder,
        json={
            "tx_id": kt["tx_id"],
            "cert_tx_id": cert_tx_id,
            "signed_consent": kt["signed_consent"],
            "consent_type": "0",
            "consent": bundle[0]["consent"],
        },
    )
    assert tampered.json()["result"] == "false"
    crossed = await client.post(
        "/ca/sign_verification",
        headers=holder,
        json={
            "tx_id": bundle[0]["tx_id"],
            "cert_tx_id": cert_tx_id,
            "signed_consent": kt["signed_consent"],
            "consent_type": "0",
            "consent": bundle[1]["consent"],
        },
    )
    assert crossed.json()["result"] == "false"


async def test_only_the_named_person_can_sign(
    app: Any, client: httpx.AsyncClient, operator: Operator, alliance: Any
) -> None:
    person, stranger = subscriber(alliance, 20), subscriber(alliance, 26)
    auth = {"Authorization": f"Bearer {await ca_token(client, operator.client_id, operator.secret)}"}
    requested = await client.post(
        "/ca/sign_request",
        headers=auth,
        json={
            "sign_tx_id": "SAMGAKMD01_SAMGAKID01_20261125_000002",
            "user_ci": person.ci,
            "consent_list": consents(person),
        },
    )
    cert_tx_id = requested.json()["cert_tx_id"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as browser:
        assert (await prove(browser, stranger)).status_code == 303
        assert (await browser.post(f"/id/sign/{cert_tx_id}/options")).status_code == 404


async def test_ca_needs_credentials(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/ca/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x", "scope": "ca"},
    )
    assert bad.status_code == 401
    assert (await client.post("/ca/sign_request", json={})).json()["rsp_code"] == "40101"
