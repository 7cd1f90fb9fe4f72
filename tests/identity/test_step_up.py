"""Payment step-up with dynamic linking (PK-5, PK-8, PK-10): the passkey signs exactly the shown
transaction, and the receipt carries it, signed by the provider."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol
from tests.identity.test_signup import prove, subscriber

PAYMENT = {"amount": 12_300, "payee": "스타벅스 역삼점 (BC가맹점 1234567890)", "reference": "ord-20261125-1"}


@pytest.fixture(scope="module")
async def payer(app: Any, alliance: Any) -> Any:
    authenticator = SoftAuthenticator()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    assert (await prove(client, subscriber(alliance, 34))).status_code == 303
    assert (await enrol(client, authenticator)).status_code == 201
    yield client, authenticator
    await client.aclose()


async def approve(
    client: httpx.AsyncClient,
    authenticator: SoftAuthenticator,
    shown: dict[str, Any],
    sent: dict[str, Any],
    **kwargs: Any,
) -> httpx.Response:
    started = (await client.post("/id/step-up/options", json=shown)).json()
    assert started["options"]["allowCredentials"]  # PK-5: only this person's passkeys
    credential = authenticator.get(started["options"], **kwargs)
    return await client.post(
        "/id/step-up", json=sent | {"challenge_id": started["challenge_id"], "credential": credential}
    )


async def test_receipt_binds_the_transaction(client: httpx.AsyncClient, payer: Any) -> None:
    browser, authenticator = payer
    answer = await approve(browser, authenticator, PAYMENT, PAYMENT)
    assert answer.status_code == 200, answer.text
    keys = KeySet.import_key_set((await client.get("/oidc/jwks")).json())
    claims = jwt.decode(answer.json()["receipt"], keys, algorithms=["ES256"]).claims
    assert {k: claims["txn"][k] for k in ("amount", "payee", "reference")} == PAYMENT
    assert claims["acr"] == "urn:samgak:acr:passkey" and "hwk" in claims["amr"]  # PK-10


@pytest.mark.parametrize("change", [{"amount": 12_301}, {"payee": "다른 가맹점"}, {"reference": "ord-other"}])
async def test_pk_8_any_change_is_refused(payer: Any, change: dict[str, Any]) -> None:
    browser, authenticator = payer
    answer = await approve(browser, authenticator, PAYMENT, PAYMENT | change)
    assert answer.status_code == 400 and answer.json()["error"] == "access_denied"


async def test_without_user_verification_refused(payer: Any) -> None:
    browser, authenticator = payer
    assert (await approve(browser, authenticator, PAYMENT, PAYMENT, uv=False)).status_code == 400


async def test_another_persons_passkey_refused(app: Any, alliance: Any, payer: Any) -> None:
    browser, _ = payer
    stranger = SoftAuthenticator()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as other:
        assert (await prove(other, subscriber(alliance, 44))).status_code == 303
        assert (await enrol(other, stranger)).status_code == 201
    answer = await approve(browser, stranger, PAYMENT, PAYMENT)
    assert answer.status_code == 400


@pytest.mark.parametrize("amount", [0, -5, "1000", True])
async def test_bad_amount_is_a_clear_error(payer: Any, amount: Any) -> None:
    browser, _ = payer
    response = await browser.post("/id/step-up/options", json=PAYMENT | {"amount": amount})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
