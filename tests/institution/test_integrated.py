"""통합인증-002: one signed transmission request per holder → tokens, with a real signature check."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from samgak import directory
from samgak.kit.timeutil import today_kst
from tests.conftest import Operator, holding, tran_id

KT = ("kt", "KTTC000030")


@pytest.fixture(scope="module")
async def signer(app: Any, alliance: Any) -> tuple[Any, Any, ECKey, str]:
    person, contract = holding(alliance, KT[0], "telecom")
    key = ECKey.generate_key("P-256")
    kid = f"test-{uuid.uuid4().hex[:12]}"
    async with app.state.platform_db.unit_of_work() as session:
        await directory.register_signer_key(session, kid, "SAMGAKCA01", person.ci, key.as_dict(private=False))
    return person, contract, key, kid


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


def form(operator: Operator, person: Any, consent: str, signature: str, **changes: str) -> dict[str, str]:
    return {
        "tx_id": f"MD_{operator.org_code}_{KT[1]}_{uuid.uuid4().hex[:20]}",
        "org_code": KT[1],
        "grant_type": "password",
        "client_id": operator.client_id,
        "client_secret": operator.secret,
        "ca_code": "SAMGAKCA01",
        "username": person.ci,
        "request_type": "1",
        "password_len": str(len(signature)),
        "password": signature,
        "auth_type": "1",
        "consent_type": "0",
        "consent_len": str(len(consent)),
        "consent": consent,
    } | changes


async def token(client: Any, data: dict[str, str]) -> Any:
    return await client.post("/inst/kt/oauth/2.0/token", data=data, headers={"x-api-tran-id": tran_id()})


async def test_signed_consent_gets_scoped_token(client: Any, operator: Operator, signer: Any) -> None:
    person, contract, key, kid = signer
    consent = consent_document(operator, [contract.asset_key])
    signature = jws.serialize_compact({"alg": "ES256", "kid": kid}, consent.encode(), key)
    data = form(operator, person, consent, signature)
    response = await token(client, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tx_id"] == data["tx_id"]
    assert body["scope"] == "telecom.list telecom.mgmt"
    listing = await client.get(
        "/inst/kt/v1/telecom/telecoms",
        params={"org_code": KT[1]},
        headers={"Authorization": f"Bearer {body['access_token']}", "x-api-tran-id": tran_id()},
    )
    consented = {t["mgmt_id"]: t["is_consent"] for t in listing.json()["telecom_list"]}
    assert consented[contract.asset_key] == "true"
    replay = await token(client, data)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")


async def test_hash_consent_type(client: Any, operator: Operator, signer: Any) -> None:
    person, _contract, key, kid = signer
    consent = consent_document(operator, ["all_asset"])
    digest = hashlib.sha256(consent.encode()).hexdigest().encode()
    signature = jws.serialize_compact({"alg": "ES256", "kid": kid}, digest, key)
    response = await token(client, form(operator, person, consent, signature, consent_type="1"))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "tamper", ["other_key", "changed_consent", "other_person", "wrong_receiver", "list_only"]
)
async def test_forged_or_altered_requests_are_refused(
    client: Any, operator: Operator, signer: Any, alliance: Any, tamper: str
) -> None:
    person, contract, key, kid = signer
    consent = consent_document(operator, [contract.asset_key])
    signing_key = ECKey.generate_key("P-256") if tamper == "other_key" else key
    signature = jws.serialize_compact({"alg": "ES256", "kid": kid}, consent.encode(), signing_key)
    data = form(operator, person, consent, signature)
    if tamper == "changed_consent":
        data["consent"] = consent_document(operator, ["all_asset"])
    elif tamper == "other_person":
        data["username"] = alliance.person(person.index + 1).ci
    elif tamper == "wrong_receiver":
        forged = consent_document(operator, [contract.asset_key], rcv_org_code="OTHERORG01")
        data["consent"] = forged
        data["password"] = jws.serialize_compact({"alg": "ES256", "kid": kid}, forged.encode(), key)
    elif tamper == "list_only":
        data["request_type"] = "0"
        response = await token(client, data)
        assert response.json()["scope"] == "telecom.list"
        return
    response = await token(client, data)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant"), response.text
