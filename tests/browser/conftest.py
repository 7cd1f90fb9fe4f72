"""A real server for browser tests: uvicorn in its own process on localhost (a secure context for
WebAuthn), a small seeded alliance on SQLite, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from samgak.app import migrations_path
from samgak.config import CoreSettings, InstitutionSettings, Settings
from samgak.institution.app import member_keys
from samgak.institution.core.synthetic import SyntheticAlliance, seed_alliance
from samgak.kit.migrate import upgrade
from samgak.kit.timeutil import today_kst

CHROMIUM = "/usr/bin/chromium"
SEED = 11
CUSTOMERS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("live")
    port = _free_port()
    base = f"http://localhost:{port}"
    env = {
        "SAMGAK_ENV": "test",
        "SAMGAK_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/platform.db",
        "SAMGAK_INSTITUTION__DATABASE_URL": f"sqlite+aiosqlite:///{folder}/institution-{{slug}}.db",
        "SAMGAK_PUBLIC_BASE_URL": base,
        "SAMGAK_SECRET_KEY": "browser-test-secret",
        "SAMGAK_CORE__SEED": str(SEED),
        "SAMGAK_IDENTITY__PASSKEY_RP_ID": "localhost",
        "SAMGAK_IDENTITY__PASSKEY_ORIGINS": json.dumps([base]),
    }
    settings = Settings(
        env="test",
        database_url=env["SAMGAK_DATABASE_URL"],
        public_base_url=base,
        secret_key=env["SAMGAK_SECRET_KEY"],
        institution=InstitutionSettings(database_url=env["SAMGAK_INSTITUTION__DATABASE_URL"]),
        core=CoreSettings(seed=SEED),
    )
    upgrade(migrations_path("platform"), settings.database_url)
    for member in settings.members:
        upgrade(migrations_path("institution"), settings.institution_database_url(member))
    seed_alliance(
        urls={m.slug: settings.institution_database_url(m) for m in settings.members},
        keys={m.slug: member_keys(settings, m) for m in settings.members},
        customers=CUSTOMERS,
        seed=SEED,
        as_of=today_kst(),
        years=5,
    )
    log = open(folder / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "samgak.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=os.environ | env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/directory/orgs", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError((folder / "server.log").read_text())
        yield base
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="session")
def browser_alliance() -> SyntheticAlliance:
    return SyntheticAlliance(SEED, today_kst(), 5)
