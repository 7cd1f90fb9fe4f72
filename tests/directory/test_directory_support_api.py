"""지원-001 (token), the 지원 API guards, 지원-003 (services) and stored secrets."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from joserfc import jwt
from joserfc.jwk import OctKey
from pydantic import SecretStr
from sqlalchemy import text

from samgak.config import Settings
from samgak.directory import (
    AlreadyRegistered,
    InvalidClient,
    InvalidParameter,
    ServiceCreate,
    get_session,
    register_service,
    register_support_client,
    reissue_support_client,
    rotate_service_secret,
    verify_support_client,
)
from samgak.kit.crypto import derive_key, secret_digest
from samgak.kit.db import Database, WriteSession

TOKEN_URL = "/portal/mgmts/oauth/2.0/token"
ORGS_URL = "/portal/v1/mgmts/orgs"
SERVICES_URL = "/portal/v1/mgmts/services"

MYDATA_SERVICE = ServiceCreate(
    org_code="SAMGAKMD01",
    service_name="삼각 마이데이터",
    redirect_uris=["http://127.0.0.1:8000/mydata/callback"],
    app_schemes=["samgak://mydata"],
    scope="bank.list bank.deposit card.list card.card telecom.list telecom.mgmt bank.list",
)


def _form(credentials: tuple[str, str], **overrides: str) -> dict[str, str]:
    client_id, secret = credentials
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": "manage",
    } | overrides


async def test_support_token_with_the_right_secret(
    client: httpx.AsyncClient, support_client: tuple[str, str], settings: Settings
) -> None:
    response = await client.post(TOKEN_URL, data=_form(support_client))
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["scope"]) == ("Bearer", "manage")
    assert body["expires_in"] == settings.directory.support_token_ttl_days * 86400
    key = OctKey.import_key(derive_key(settings.secret_key.get_secret_value(), "directory/support-token"))
    claims = jwt.decode(body["access_token"], key, algorithms=["HS256"]).claims
    assert (claims["iss"], claims["aud"], claims["scope"]) == ("SAMGAKPT01", "SAMGAKMD01", "manage")
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    assert claims["jti"]


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_secret": "sgk_cs_wrong"}, 401, "invalid_client"),
        ({"client_id": "0" * 32}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"scope": "ca"}, 400, "invalid_scope"),
        ({"client_secret": ""}, 400, "invalid_request"),
    ],
)
async def test_support_token_errors(
    client: httpx.AsyncClient, support_client: tuple[str, str], form: dict[str, str], status: int, error: str
) -> None:
    response = await client.post(TOKEN_URL, data=_form(support_client, **form))
    assert response.status_code == status
    assert response.json()["error"] == error
    assert set(response.json()) == {"error", "error_description"}


async def test_support_token_rejects_json(client: httpx.AsyncClient, support_client: tuple[str, str]) -> None:
    response = await client.post(TOKEN_URL, json=_form(support_client))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_verify_support_client(seeded: Database, support_client: tuple[str, str]) -> None:
    client_id, secret = support_client
    async with seeded.read_sessions() as session:
        assert await verify_support_client(session, client_id, secret) == "SAMGAKMD01"
        with pytest.raises(InvalidClient):
            await verify_support_client(session, client_id, secret + "x")


async def test_reissued_support_credentials_replace_the_old(
    seeded: Database, support_client: tuple[str, str]
) -> None:
    """A restarted deployable gets new credentials; the previous ones stop working."""
    old_id, old_secret = support_client
    async with seeded.unit_of_work() as session:
        new_id, new_secret = await reissue_support_client(session, "SAMGAKMD01")
    async with seeded.read_sessions() as session:
        assert await verify_support_client(session, new_id, new_secret) == "SAMGAKMD01"
        with pytest.raises(InvalidClient):
            await verify_support_client(session, old_id, old_secret)


def _forged(settings: Settings, **claims: object) -> str:
    key = OctKey.import_key(derive_key(settings.secret_key.get_secret_value(), "directory/support-token"))
    now = int(time.time())
    base = {
        "iss": "SAMGAKPT01",
        "aud": "WRBK000020",
        "jti": "x",
        "iat": now,
        "exp": now + 60,
        "scope": "manage",
    }
    return jwt.encode({"alg": "HS256"}, base | claims, key)


async def test_mgmt_guards(
    client: httpx.AsyncClient, mgmt_headers: dict[str, str], settings: Settings
) -> None:
    tran_id = mgmt_headers["x-api-tran-id"]
    no_tran = await client.get(ORGS_URL, headers={"Authorization": mgmt_headers["Authorization"]})
    assert no_tran.status_code == 400
    assert no_tran.json() == {"rsp_code": "40002", "rsp_msg": "헤더값 없음: x-api-tran-id"}

    other_key = settings.model_copy(update={"secret_key": SecretStr("other")})
    cases = [
        ({}, 401, "40101"),
        ({"Authorization": "Bearer not-a-token"}, 401, "40101"),
        ({"Authorization": f"Bearer {_forged(settings, exp=int(time.time()) - 1)}"}, 401, "40101"),
        ({"Authorization": f"Bearer {_forged(settings, iss='SAMGAKMD01')}"}, 401, "40101"),
        ({"Authorization": f"Bearer {_forged(other_key)}"}, 401, "40101"),
        ({"Authorization": f"Bearer {_forged(settings, scope='ca')}"}, 401, "40104"),
    ]
    for headers, status, rsp_code in cases:
        for url in (ORGS_URL, SERVICES_URL):
            response = await client.get(url, headers={"x-api-tran-id": tran_id} | headers)
            assert (response.status_code, response.json()["rsp_code"]) == (status, rsp_code), (url, headers)
            assert "detail" not in response.json()
            assert response.headers["x-api-tran-id"] == tran_id

    ok = await client.get(
        ORGS_URL, headers={"x-api-tran-id": tran_id, "Authorization": f"Bearer {_forged(settings)}"}
    )
    assert ok.status_code == 200
    bad_tran = await client.get(ORGS_URL, headers=mgmt_headers | {"x-api-tran-id": "not-AN-25!"})
    assert bad_tran.json()["rsp_code"] == "40001"


async def test_mgmt_services_publish_the_digest_never_the_secret(
    seeded: Database, client: httpx.AsyncClient, mgmt_headers: dict[str, str]
) -> None:
    async with seeded.unit_of_work() as session:
        service, secret = await register_service(session, MYDATA_SERVICE)
    assert secret.startswith("sgk_cs_")
    assert service.scope == "bank.list bank.deposit card.list card.card telecom.list telecom.mgmt"

    response = await client.get(SERVICES_URL, headers=mgmt_headers)
    assert response.status_code == 200
    assert response.headers["x-api-tran-id"] == mgmt_headers["x-api-tran-id"]
    assert secret not in response.text
    body = response.json()
    assert (body["rsp_code"], body["org_cnt"]) == ("00000", "1")
    org = body["org_list"][0]
    assert (org["org_code"], org["service_cnt"]) == ("SAMGAKMD01", "1")
    assert org["service_list"] == [
        {
            "service_name": "삼각 마이데이터",
            "op_type": "I",
            "client_id": service.client_id,
            "client_secret_digest": secret_digest(secret),
            "redirect_uri_cnt": "1",
            "redirect_uri_list": [{"redirect_uri": "http://127.0.0.1:8000/mydata/callback"}],
            "app_scheme_cnt": "1",
            "app_scheme_list": [{"app_scheme": "samgak://mydata"}],
            "scope": service.scope,
        }
    ]

    later = await client.get(f"{SERVICES_URL}?search_timestamp=99991231235959", headers=mgmt_headers)
    assert later.json()["org_cnt"] == "0"


async def test_service_rules_and_rotation(seeded: Database) -> None:
    async with seeded.unit_of_work() as session:
        service, secret = await register_service(session, MYDATA_SERVICE)
    async with seeded.unit_of_work() as session:
        with pytest.raises(AlreadyRegistered):
            await register_service(session, MYDATA_SERVICE)
    async with seeded.unit_of_work() as session:
        with pytest.raises(InvalidParameter):  # a data holder is not a receiving org
            await register_service(session, MYDATA_SERVICE.model_copy(update={"org_code": "WRBK000020"}))
    async with seeded.unit_of_work() as session:
        rotated, new_secret = await rotate_service_secret(session, service.client_id)
    assert new_secret != secret
    assert (rotated.op_type, rotated.client_secret_digest) == ("M", secret_digest(new_secret))
    with pytest.raises(ValueError):
        ServiceCreate(org_code="SAMGAKMD01", service_name="x", redirect_uris=["a"] * 5, scope="bank.list")


async def test_secrets_are_never_stored_in_plaintext(seeded: Database) -> None:
    async with seeded.unit_of_work() as session:
        _, service_secret = await register_service(session, MYDATA_SERVICE)
        support_id, support_secret = await register_support_client(session, "WRBK000020")
    async with seeded.read_sessions() as session:
        dump = []
        for table in ("directory_service", "directory_support_client", "directory_org"):
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()
            dump.extend(str(value) for row in rows for value in row)
        digests = (
            await session.execute(text("SELECT client_secret_digest FROM directory_support_client"))
        ).scalars()
        assert secret_digest(support_secret) in list(digests)
    for secret in (service_secret, support_secret):
        assert not any(secret in value or secret[len("sgk_cs_") :] in value for value in dump)
    assert support_id in dump


async def test_get_session_commits_before_the_response(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.post("/test/support-clients/{org_code}")
    async def create(
        org_code: str, session: Annotated[WriteSession, Depends(get_session, scope="function")]
    ) -> str:
        client_id, _ = await register_support_client(session, org_code)
        return client_id

    client_id = (await client.post("/test/support-clients/WRCD000041")).json()
    async with app.state.platform_db.read_sessions() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM directory_support_client WHERE client_id = :c"), {"c": client_id}
        )
    assert count == 1
    failed = await client.post("/test/support-clients/NOPE000000")
    assert (failed.status_code, failed.json()["rsp_code"]) == (404, "40402")
