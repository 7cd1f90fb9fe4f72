"""A member's deployable on its own (production shape): it reaches the directory only over HTTP,
with its own 지원-001 credentials, and serves the standard API."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from samgak import directory
from samgak.app import create_member_app
from samgak.config import Settings
from tests.conftest import Operator, tran_id


async def test_member_runs_alone_against_the_directory(
    app: Any, settings: Settings, operator: Operator
) -> None:
    async with app.state.platform_db.unit_of_work() as session:
        client_id, secret = await directory.register_support_client(session, "KTTC000030")
    alone = settings.model_copy(deep=True)
    alone.institution.portal_client_id = client_id
    alone.institution.portal_client_secret = SecretStr(secret)
    member = create_member_app(alone, "kt", transport=httpx.ASGITransport(app=app))
    async with (
        member.router.lifespan_context(member),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=member), base_url="http://kt.test") as client,
    ):
        token = await client.post(
            "/oauth/2.0/token",
            data={
                "org_code": "KTTC000030",
                "grant_type": "client_credentials",
                "client_id": operator.client_id,
                "client_secret": operator.secret,
                "scope": "carrier",
            },
            headers={"x-api-tran-id": tran_id()},
        )
        assert token.status_code == 200, token.text
        apis = await client.get(
            "/v1/telecom/apis", params={"org_code": "KTTC000030"}, headers={"x-api-tran-id": tran_id()}
        )
        assert apis.json()["rsp_code"] == "00000"
    assert member.state.institution.directory.client_id == client_id
