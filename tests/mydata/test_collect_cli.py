"""`samgak collect` against the running platform: every linked member collected again, with a
table per member, and no duplicate rows (the live server's MyData service calls the holders over
real HTTP with aiohttp)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from tests.conftest import LIVE_CUSTOMERS, LIVE_SEED
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol
from tests.identity.test_signup import prove


def banked_kt_subscriber(alliance: Any, skip: int) -> Any:
    found = [
        alliance.person(i)
        for i in range(LIVE_CUSTOMERS)
        if {"kt", "woori-bank"} <= set(alliance.holdings(alliance.person(i)))
    ]
    return found[skip]


def records(settings: Any) -> int:
    with sqlite3.connect(settings.database_url.split(":///", 1)[1]) as connection:
        return int(connection.execute("SELECT count(*) FROM mydata_record").fetchone()[0])


async def test_collect_command_refreshes_every_link(live_server: Any) -> None:
    from samgak.institution.core.synthetic import SyntheticAlliance
    from samgak.kit.timeutil import today_kst

    person = banked_kt_subscriber(SyntheticAlliance(LIVE_SEED, today_kst(), 5), 0)
    authenticator = SoftAuthenticator(origin=live_server.base)
    async with httpx.AsyncClient(base_url=live_server.base, timeout=30) as browser:
        assert (await prove(browser, person)).status_code == 303
        assert (await enrol(browser, authenticator)).status_code == 201
        asked = await browser.post("/mydata/link", data={"org": ["WRBK000020", "KTTC000030"], "cycle": "1/w"})
        sign = urlparse(asked.headers["location"])
        cert_tx_id = sign.path.rsplit("/", 1)[1]
        started = (await browser.post(f"/id/sign/{cert_tx_id}/options")).json()
        signed = await browser.post(
            f"/id/sign/{cert_tx_id}",
            json={
                "challenge_id": started["challenge_id"],
                "credential": authenticator.get(started["options"]),
            },
        )
        assert signed.status_code == 200, signed.text
        done = await browser.get(parse_qs(sign.query)["next"][0])
        assert "우리은행 연결 완료" in done.text and "KT 연결 완료" in done.text, done.text
    before = records(live_server.settings)
    assert before > 0
    settings = live_server.settings
    env = os.environ | {
        "SAMGAK_ENV": "test",
        "SAMGAK_DATABASE_URL": settings.database_url,
        "SAMGAK_PUBLIC_BASE_URL": settings.public_base_url,
        "SAMGAK_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SAMGAK_INSTITUTION__DATABASE_URL": settings.institution.database_url,
        "COLUMNS": "120",
    }
    ran = subprocess.run(
        [sys.executable, "-m", "samgak.cli", "collect", "--api-type", "user-refresh"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    rows = {
        m[0]: (int(m[1]), int(m[2]))
        for m in re.findall(r"│ (우리은행|KT)\s+│\s+(\d+) │ .*? │\s+(\d+) │", ran.stdout)
    }
    assert rows["우리은행"][0] >= 1 and rows["KT"][0] >= 1, ran.stdout
    assert rows["우리은행"][1] == 0 and rows["KT"][1] == 0, ran.stdout  # no failures
    assert records(settings) == before  # the same data again: nothing duplicated
