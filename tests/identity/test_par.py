"""Pushed authorization requests (RFC 9126) with private_key_jwt, tests named after the FAPI 2.0
checklist ids (shared/reference/identity-fapi-checklist.md)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from samgak import directory
from samgak.identity import ReplayCache, target_uri
from tests.identity.conftest import ISSUER, PAR, REDIRECT, Client


async def push(client: httpx.AsyncClient, form: dict[str, str], **headers: str) -> httpx.Response:
    return await client.post(PAR, data=form, headers=headers)


async def test_sp_az_2_happy_par(client: httpx.AsyncClient, rp: Client) -> None:
    response = await push(client, rp.form())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert 0 < body["expires_in"] < 600  # SP-AZ-12


@pytest.mark.parametrize(
    "aud", [[ISSUER], ISSUER + "/par", ISSUER + "/token", [ISSUER, "https://other.example"]]
)
async def test_sp_as_8_aud_must_be_the_issuer_as_a_string(
    client: httpx.AsyncClient, rp: Client, aud: Any
) -> None:
    response = await push(client, rp.form(rp.assertion(aud=aud)))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


async def test_sp_as_6_client_secret_rejected(client: httpx.AsyncClient, rp: Client) -> None:
    form = rp.form()
    del form["client_assertion"], form["client_assertion_type"]
    response = await push(client, form | {"client_secret": "sgk_cs_guess"})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


async def test_sp_az_4_assertion_signed_by_another_key_rejected(
    client: httpx.AsyncClient, rp: Client
) -> None:
    other = Client(rp.client_id, ECKey.generate_key("P-256"))
    response = await push(client, rp.form(other.assertion()))
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(("offset", "status"), [(8, 201), (61, 401)])
async def test_sp_as_13_assertion_iat_in_the_future(
    client: httpx.AsyncClient, rp: Client, offset: int, status: int
) -> None:
    now = int(time.time())
    response = await push(
        client, rp.form(rp.assertion(iat=now + offset, nbf=now + offset, exp=now + offset + 60))
    )
    assert response.status_code == status, response.text


async def test_assertion_replay_rejected(client: httpx.AsyncClient, rp: Client) -> None:
    assertion = rp.assertion()
    assert (await push(client, rp.form(assertion))).status_code == 201
    assert (await push(client, rp.form(assertion))).json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "change",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge_method": ""},
        {"code_challenge": ""},
    ],
)
async def test_sp_az_5_pkce_s256_required(
    client: httpx.AsyncClient, rp: Client, change: dict[str, str]
) -> None:
    response = await push(client, rp.form(**change))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_sp_az_6_redirect_uri_required_and_exact(client: httpx.AsyncClient, rp: Client) -> None:
    form = rp.form()
    del form["redirect_uri"]
    assert (await push(client, form)).json()["error"] == "invalid_request"
    for evil in (
        REDIRECT + "/",
        REDIRECT + "?x=1",
        REDIRECT.upper(),
        "https://app.wooribank.test.evil.com/callback",
    ):
        response = await push(client, rp.form(redirect_uri=evil))
        assert response.json()["error"] == "invalid_request", evil  # RFC-RU-1


@pytest.mark.parametrize("response_type", ["code id_token", "token"])
async def test_sp_az_1_code_only(client: httpx.AsyncClient, rp: Client, response_type: str) -> None:
    response = await push(client, rp.form(response_type=response_type))
    assert response.json()["error"] == "unsupported_response_type"


async def test_sp_az_n3_request_uri_cannot_be_pushed(client: httpx.AsyncClient, rp: Client) -> None:
    response = await push(client, rp.form(request_uri="urn:ietf:params:oauth:request_uri:x"))
    assert response.json()["error"] == "invalid_request"


async def test_scope_outside_the_client_rejected(client: httpx.AsyncClient, rp: Client) -> None:
    assert (await push(client, rp.form(scope="openid payments"))).json()["error"] == "invalid_scope"


def _dpop(key: ECKey) -> str:
    body = {"htm": "POST", "htu": ISSUER + "/par", "iat": int(time.time()), "jti": uuid.uuid4().hex}
    header = {"alg": "ES256", "typ": "dpop+jwt", "jwk": key.as_dict(private=False)}
    return jws.serialize_compact(header, json.dumps(body).encode(), key)


async def test_sp_as_12_dpop_binding_at_par(app: Any, client: httpx.AsyncClient, rp: Client) -> None:
    key = ECKey.generate_key("P-256")
    ok = await push(client, rp.form(), DPoP=_dpop(key))
    assert ok.status_code == 201, ok.text
    other = ECKey.generate_key("P-256").thumbprint()
    mismatch = await push(client, rp.form(dpop_jkt=other), DPoP=_dpop(key))
    assert mismatch.json()["error"] == "invalid_request"
    bad_proof = await push(client, rp.form(), DPoP="not-a-proof")
    assert bad_proof.json()["error"] == "invalid_dpop_proof"
    from sqlalchemy import select

    from samgak.identity.models import IdentityParRequest

    reference = ok.json()["request_uri"].rsplit(":", 1)[-1]
    async with app.state.platform_db.read_sessions() as session:
        stored = await session.scalar(select(IdentityParRequest).where(IdentityParRequest.id == reference))
    assert stored is not None and stored.dpop_jkt == key.thumbprint() and stored.client_id == rp.client_id


def test_replay_cache_and_target_uri_helpers() -> None:
    cache = ReplayCache()
    assert cache.claim("a", 10, 0) and not cache.claim("a", 10, 5) and cache.claim("a", 20, 11)
    assert target_uri("https://X.example:443/p?q=1") == "https://x.example/p"


@pytest.mark.parametrize(
    "redirect", ["http://rp.example/cb", "https://rp.example/cb#frag", "ftp://rp.example/cb"]
)
def test_sp_az_8_redirect_uris_https_or_loopback(redirect: str) -> None:
    key = ECKey.generate_key("P-256").as_dict(private=False)
    with pytest.raises(ValueError, match="redirect"):
        directory.RelyingPartyCreate(
            org_code="WRBK000020", name="x", redirect_uris=[redirect], jwks={"keys": [key]}
        )
    assert directory.RelyingPartyCreate(
        org_code="WRBK000020", name="native", redirect_uris=["http://127.0.0.1:7777/cb"], jwks={"keys": [key]}
    )


async def test_registration_refuses_private_and_weak_keys(app: Any) -> None:
    from joserfc.jwk import RSAKey

    private = ECKey.generate_key("P-256").as_dict(private=True)
    weak = RSAKey.generate_key(1024, auto_kid=False).as_dict(private=False)
    for keys in ([private], [weak], []):
        with pytest.raises(directory.InvalidParameter):
            async with app.state.platform_db.unit_of_work() as session:
                await directory.register_relying_party(
                    session,
                    directory.RelyingPartyCreate(
                        org_code="WRBK000020", name="bad", redirect_uris=[REDIRECT], jwks={"keys": keys}
                    ),
                )


async def test_credential_endpoints_are_rate_limited(app: Any, client: httpx.AsyncClient, rp: Client) -> None:
    from samgak.kit.ratelimit import RateLimiter

    provider = app.state.identity
    original, provider.client_limiter = provider.client_limiter, RateLimiter(0.001, 1)
    try:
        assert (await push(client, rp.form())).status_code == 201
        limited = await push(client, rp.form())
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        assert limited.json()["error"] == "temporarily_unavailable"
    finally:
        provider.client_limiter = original
