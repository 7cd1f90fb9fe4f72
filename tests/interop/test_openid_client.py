"""Interop: panva's ``openid-client`` (npm), a certified FAPI 2.0 relying-party library, against our
provider on loopback — PAR, PKCE S256, private_key_jwt, DPoP-bound tokens and userinfo."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from joserfc.jwk import ECKey

from samgak import directory
from samgak.institution.core.synthetic import SyntheticAlliance
from samgak.kit.db import Database
from samgak.kit.timeutil import today_kst
from tests.conftest import LIVE_CUSTOMERS, LIVE_SEED

HERE = Path(__file__).parent
REDIRECT = "http://127.0.0.1:9/callback"  # a native app's loopback redirect; never fetched


def node(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(HERE / "rp.mjs"), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def openid_client() -> None:
    if shutil.which("node") is None:
        pytest.skip("the interop test needs Node.js")
    if not (HERE / "node_modules" / "openid-client").exists():
        pytest.skip("run `npm ci --prefix tests/interop` first (.ci/run does)")


async def test_openid_client_par_pkce_private_key_jwt_dpop(openid_client: None, live_server: Any) -> None:
    key = ECKey.generate_key("P-256")
    database = Database(live_server.settings.database_url)
    async with database.unit_of_work() as session:
        party = await directory.register_relying_party(
            session,
            directory.RelyingPartyCreate(
                org_code="KBNK000089",
                name="openid-client interop",
                redirect_uris=[REDIRECT],
                jwks={"keys": [key.as_dict(private=False) | {"kid": "interop"}]},
                scope="openid profile",
            ),
        )
    await database.dispose()
    issuer = f"{live_server.base}/oidc"
    private = json.dumps(key.as_dict(private=True) | {"kid": "interop"})
    started = await asyncio.to_thread(node, "start", issuer, party.client_id, private, REDIRECT)

    alliance = SyntheticAlliance(LIVE_SEED, today_kst(), 5)
    person = next(p for p in map(alliance.person, range(LIVE_CUSTOMERS)) if "kt" in alliance.holdings(p))
    async with httpx.AsyncClient(base_url=live_server.base, timeout=30) as browser:
        begun = await browser.post(
            "/id/start",
            data={"name": person.name, "phone": person.phone, "birth_date": f"{person.birth_date:%Y%m%d}"},
        )
        verify_path = urlparse(begun.headers["location"]).path
        inbox = await browser.get("/inst/kt/v1/carrier/demo/phone", params={"phone": person.phone})
        code = re.findall(r"\[(\d{6})\]", inbox.text)[0]
        assert (await browser.post(verify_path, data={"code": code})).status_code == 303
        authorize = urlparse(started["url"])
        page = await browser.get(f"{authorize.path}?{authorize.query}")
        reference = page.text.split('name="request" value="')[1].split('"')[0]
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        answer = await browser.post(
            "/oidc/authorize/decision", data={"request": reference, "csrf": csrf, "decision": "approve"}
        )
        callback = answer.headers["location"]
    assert callback.startswith(REDIRECT)

    finished = await asyncio.to_thread(
        node, "finish", issuer, party.client_id, private, json.dumps(started), callback
    )
    assert finished["token_type"].lower() == "dpop"
    assert finished["userinfo"]["sub"] == finished["sub"] and finished["userinfo"]["name"] == person.name
    assert finished["acr"] == "urn:samgak:acr:carrier-otp"
