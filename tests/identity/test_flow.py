"""The FAPI 2.0 code flow end to end: PAR → sign-in → consent → code → DPoP-bound tokens → userinfo,
and the negative cases of the checklist that need a real code (SP-AZ-9, SP-AS-11/12, RFC-CI, SP-AS-2/9)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet

from samgak.identity import access_token_hash
from tests.identity.conftest import ISSUER, REDIRECT, Client, register_client
from tests.identity.test_signup import prove, subscriber


def dpop(key: ECKey, method: str, url: str, access_token: str | None = None) -> str:
    body: dict[str, Any] = {"htm": method, "htu": url, "iat": int(time.time()), "jti": uuid.uuid4().hex}
    if access_token:
        body["ath"] = access_token_hash(access_token)
    return jws.serialize_compact(
        {"alg": "ES256", "typ": "dpop+jwt", "jwk": key.as_dict(private=False)}, json.dumps(body).encode(), key
    )


class Browser:
    """A person's browser, signed in at the alliance by carrier proofing."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def authorize(
        self,
        rp: Client,
        *,
        key: ECKey,
        scope: str = "openid profile",
        nonce: str = "n-1",
        decision: str = "approve",
    ) -> tuple[dict[str, list[str]], str]:
        form = rp.form(scope=scope, nonce=nonce)
        verifier = None
        import base64
        import hashlib
        import secrets

        verifier = secrets.token_urlsafe(48)
        form["code_challenge"] = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        )
        pushed = await self.client.post(
            "/oidc/par", data=form, headers={"DPoP": dpop(key, "POST", ISSUER + "/par")}
        )
        assert pushed.status_code == 201, pushed.text
        page = await self.client.get(
            "/oidc/authorize",
            params={"client_id": rp.client_id, "request_uri": pushed.json()["request_uri"]},
        )
        if page.status_code == 303:  # single sign-on: this app already holds these scopes
            answer = page
        else:
            assert page.status_code == 200, page.text
            reference = page.text.split('name="request" value="')[1].split('"')[0]
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            answer = await self.client.post(
                "/oidc/authorize/decision", data={"request": reference, "csrf": csrf, "decision": decision}
            )
        assert answer.status_code == 303 and answer.headers["location"].startswith(REDIRECT)
        return parse_qs(urlparse(answer.headers["location"]).query), verifier


@pytest.fixture(scope="module")
async def browser(app: Any, alliance: Any) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        done = await prove(client, subscriber(alliance, 50))
        assert done.status_code == 303
        yield Browser(client)


async def exchange(
    client: httpx.AsyncClient, rp: Client, code: str, verifier: str, key: ECKey
) -> httpx.Response:
    return await client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": REDIRECT,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": rp.assertion(),
        },
        headers={"DPoP": dpop(key, "POST", ISSUER + "/token")},
    )


async def test_happy_flow_dpop_bound_tokens_and_userinfo(
    client: httpx.AsyncClient, browser: Browser, rp: Client, alliance: Any
) -> None:
    key = ECKey.generate_key("P-256")
    answer, verifier = await browser.authorize(rp, key=key)
    assert answer["iss"] == [ISSUER] and answer["state"] == ["s"]  # SP-AZ-7
    tokens = await exchange(client, rp, answer["code"][0], verifier, key)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "DPoP"  # SP-AS-4/5
    keys = KeySet.import_key_set((await client.get("/oidc/jwks")).json())
    access = jwt.decode(body["access_token"], keys, algorithms=["ES256"]).claims
    assert access["cnf"]["jkt"] == key.thumbprint() and access["iss"] == ISSUER
    id_token = jwt.decode(body["id_token"], keys, algorithms=["ES256"]).claims
    assert (id_token["aud"], id_token["nonce"], id_token["amr"]) == (rp.client_id, "n-1", ["sms"])
    assert id_token["acr"] and id_token["auth_time"] <= time.time()
    info = await client.get(
        "/oidc/userinfo",
        headers={
            "Authorization": f"DPoP {body['access_token']}",
            "DPoP": dpop(key, "GET", ISSUER + "/userinfo", body["access_token"]),
        },
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == access["sub"] and info.json()["name"] == subscriber(alliance, 50).name
    bearer = await client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert bearer.status_code == 401 and "DPoP" in bearer.headers["www-authenticate"]  # RFC-STOLEN
    stolen = await client.get(
        "/oidc/userinfo",
        headers={
            "Authorization": f"DPoP {body['access_token']}",
            "DPoP": dpop(ECKey.generate_key("P-256"), "GET", ISSUER + "/userinfo", body["access_token"]),
        },
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_dpop_proof"  # DP-12
    refreshed = await client.post(
        "/oidc/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": rp.assertion(),
        },
        headers={"DPoP": dpop(key, "POST", ISSUER + "/token")},
    )
    assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()  # SP-AS-9: no rotation
    again = await client.post(
        "/oidc/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": rp.assertion(),
        },
        headers={"DPoP": dpop(key, "POST", ISSUER + "/token")},
    )
    assert again.status_code == 200


async def test_sp_az_9_code_reuse_revokes(client: httpx.AsyncClient, browser: Browser, rp: Client) -> None:
    key = ECKey.generate_key("P-256")
    answer, verifier = await browser.authorize(rp, key=key)
    first = await exchange(client, rp, answer["code"][0], verifier, key)
    assert first.status_code == 200
    second = await exchange(client, rp, answer["code"][0], verifier, key)
    assert second.json()["error"] == "invalid_grant"
    access = first.json()["access_token"]
    info = await client.get(
        "/oidc/userinfo",
        headers={"Authorization": f"DPoP {access}", "DPoP": dpop(key, "GET", ISSUER + "/userinfo", access)},
    )
    assert info.status_code == 401  # the replay voided the grant


async def test_pkce_and_dpop_binding_enforced(
    client: httpx.AsyncClient, browser: Browser, rp: Client
) -> None:
    key = ECKey.generate_key("P-256")
    answer, verifier = await browser.authorize(rp, key=key)
    wrong = await exchange(
        client, rp, answer["code"][0], verifier[:-1] + ("A" if verifier[-1] != "A" else "B"), key
    )
    assert wrong.json()["error"] == "invalid_grant"  # SP-AZ-5
    spent = await exchange(client, rp, answer["code"][0], verifier, key)
    assert spent.json()["error"] == "invalid_grant"  # RFC-CI: a failed verifier spends the code
    answer, verifier = await browser.authorize(rp, key=key)
    other_key = await exchange(client, rp, answer["code"][0], verifier, ECKey.generate_key("P-256"))
    assert other_key.json()["error"] == "invalid_grant"  # SP-AS-12
    answer, verifier = await browser.authorize(rp, key=key)
    no_proof = await client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"][0],
            "code_verifier": verifier,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": rp.assertion(),
        },
    )
    assert no_proof.json()["error"] == "invalid_dpop_proof"  # SP-AS-4


async def test_user_denies(app: Any, browser: Browser) -> None:
    rp = await register_client(app, "케이뱅크")  # a new app: the consent screen is shown
    answer, _ = await browser.authorize(rp, key=ECKey.generate_key("P-256"), decision="deny")
    assert answer["error"] == ["access_denied"] and answer["iss"] == [ISSUER]


async def test_sp_as_2_password_grant_rejected(client: httpx.AsyncClient, rp: Client) -> None:
    response = await client.post(
        "/oidc/token",
        data={
            "grant_type": "password",
            "username": "x",
            "password": "y",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": rp.assertion(),
        },
    )
    assert response.json()["error"] == "unsupported_grant_type"


async def test_sp_az_3_authorize_without_par_is_an_error_page(client: httpx.AsyncClient, rp: Client) -> None:
    response = await client.get(
        "/oidc/authorize",
        params={
            "client_id": rp.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid",
        },
    )
    assert response.status_code == 400 and "location" not in response.headers  # RFC-RU-2
    stale = await client.get(
        "/oidc/authorize",
        params={"client_id": rp.client_id, "request_uri": "urn:ietf:params:oauth:request_uri:nope"},
    )
    assert stale.status_code == 400


async def test_sp_as_1_discovery_documents_agree(client: httpx.AsyncClient) -> None:
    oidc = (await client.get("/oidc/.well-known/openid-configuration")).json()
    oauth = (await client.get("/.well-known/oauth-authorization-server/oidc")).json()
    assert oidc == oauth and oidc["issuer"] == ISSUER
    assert oidc["require_pushed_authorization_requests"] is True
    assert oidc["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]  # SP-AS-6
    assert oidc["code_challenge_methods_supported"] == ["S256"]
    assert oidc["authorization_response_iss_parameter_supported"] is True
    for endpoint in (
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "pushed_authorization_request_endpoint",
    ):
        assert oidc[endpoint].startswith(ISSUER)


async def test_revocation_and_introspection(client: httpx.AsyncClient, browser: Browser, rp: Client) -> None:
    key = ECKey.generate_key("P-256")
    answer, verifier = await browser.authorize(rp, key=key)
    body = (await exchange(client, rp, answer["code"][0], verifier, key)).json()
    auth = {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    active = await client.post(
        "/oidc/introspect", data=auth | {"token": body["access_token"], "client_assertion": rp.assertion()}
    )
    assert active.json()["active"] is True and active.json()["cnf"]["jkt"] == key.thumbprint()
    revoked = await client.post(
        "/oidc/revoke", data=auth | {"token": body["refresh_token"], "client_assertion": rp.assertion()}
    )
    assert revoked.status_code == 200
    after = await client.post(
        "/oidc/introspect", data=auth | {"token": body["access_token"], "client_assertion": rp.assertion()}
    )
    assert after.json() == {"active": False}
    unknown = await client.post(
        "/oidc/revoke", data=auth | {"token": "nothing", "client_assertion": rp.assertion()}
    )
    assert unknown.status_code == 200  # RFC 7009 §2.2


async def test_sp_as_11_code_expires_after_60_seconds(
    app: Any, client: httpx.AsyncClient, browser: Browser, rp: Client
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from samgak.identity.models import IdentityAuthorizationCode
    from samgak.kit.crypto import secret_digest
    from samgak.kit.timeutil import utcnow

    key = ECKey.generate_key("P-256")
    answer, verifier = await browser.authorize(rp, key=key)
    async with app.state.platform_db.unit_of_work() as session:
        await session.execute(
            update(IdentityAuthorizationCode)
            .where(IdentityAuthorizationCode.code_digest == secret_digest(answer["code"][0]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = await exchange(client, rp, answer["code"][0], verifier, key)
    assert (expired.status_code, expired.json()["error"]) == (400, "invalid_grant")


async def test_sp_az_12_expired_request_uri(app: Any, client: httpx.AsyncClient, rp: Client) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from samgak.identity.models import IdentityParRequest
    from samgak.kit.timeutil import utcnow

    pushed = await client.post("/oidc/par", data=rp.form())
    reference = pushed.json()["request_uri"].rsplit(":", 1)[-1]
    async with app.state.platform_db.unit_of_work() as session:
        await session.execute(
            update(IdentityParRequest)
            .where(IdentityParRequest.id == reference)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    page = await client.get(
        "/oidc/authorize", params={"client_id": rp.client_id, "request_uri": pushed.json()["request_uri"]}
    )
    assert page.status_code == 400


async def test_sp_net_3_no_cors_and_no_framing_on_the_authorization_endpoint(
    client: httpx.AsyncClient, rp: Client
) -> None:
    pushed = await client.post("/oidc/par", data=rp.form())
    page = await client.get(
        "/oidc/authorize",
        headers={"Origin": "https://evil.example"},
        params={"client_id": rp.client_id, "request_uri": pushed.json()["request_uri"]},
    )
    assert not any(h.lower().startswith("access-control-allow") for h in page.headers)
    preflight = await client.options(
        "/oidc/authorize", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    start = await client.get("/id/start")
    assert start.headers["x-frame-options"] == "DENY" and start.headers["referrer-policy"] == "no-referrer"
