"""Test fixtures: a seeded alliance on SQLite, and on PostgreSQL where a server is configured.

Every backend gets fresh databases built by the migrations (one per member plus the platform)
and a small deterministic alliance. ``SAMGAK_TEST_DATABASE_URL`` (e.g.
``postgresql+asyncpg://root@127.0.0.1:5432/test``) names the PostgreSQL server; without it the
PostgreSQL half is skipped with that reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlparse

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from samgak.app import create_app, migrations_path
from samgak.config import (
    AnalyticsSettings,
    CoreSettings,
    IdentitySettings,
    InstitutionSettings,
    MydataSettings,
    PaymentsSettings,
    Settings,
)
from samgak.institution.app import member_keys
from samgak.institution.core.synthetic import SyntheticAlliance, seed_alliance
from samgak.kit.migrate import upgrade
from samgak.kit.timeutil import today_kst

CUSTOMERS = 60
LIVE_SEED = 11
LIVE_CUSTOMERS = 40
STAFF_KEY = "browser-staff-key"  # the live server's staff consoles
SEED = 7
PG_URL = os.environ.get("SAMGAK_TEST_DATABASE_URL")


def _pg_admin(url: str) -> str:
    parsed = make_url(url)
    return f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} user={parsed.username or 'postgres'} dbname={parsed.database}"


DATABASES = ["platform", "woori_bank", "k_bank", "woori_card", "bc_card", "kt"]


def create_pg_databases(prefix: str = "") -> tuple[list[str], str, str]:
    """Fresh PostgreSQL databases for the platform and every member: ``(their names, platform URL,
    member URL with a {slug} placeholder)``."""
    assert PG_URL
    run = f"{prefix}{uuid.uuid4().hex[:8]}"
    base = make_url(PG_URL)
    created = []
    with psycopg.connect(_pg_admin(PG_URL), autocommit=True) as conn:
        for name in DATABASES:
            conn.execute(f'CREATE DATABASE "samgak_{run}_{name}"')
            created.append(f"samgak_{run}_{name}")
    platform_url = base.set(database=f"samgak_{run}_platform").render_as_string(hide_password=False)
    member_url = (
        base.set(database=f"samgak_{run}_SLUG")
        .render_as_string(hide_password=False)
        .replace("SLUG", "{slug}")
    )
    return created, platform_url, member_url


def drop_pg_databases(names: list[str]) -> None:
    with psycopg.connect(_pg_admin(PG_URL or ""), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_and_seed(settings: Settings, customers: int, seed: int) -> None:
    """Bring every database to the newest schema and write the synthetic alliance."""
    upgrade(migrations_path("platform"), settings.database_url)
    for member in settings.members:
        upgrade(migrations_path("institution"), settings.institution_database_url(member))
    seed_alliance(
        urls={m.slug: settings.institution_database_url(m) for m in settings.members},
        keys={m.slug: member_keys(settings, m) for m in settings.members},
        customers=customers,
        seed=seed,
        as_of=today_kst(),
        years=5,
    )


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    created: list[str] = []
    folder = tmp_path_factory.mktemp("alliance")
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need SAMGAK_TEST_DATABASE_URL (CI sets it)")
        created, platform_url, member_url = create_pg_databases()
    else:
        platform_url = f"sqlite+aiosqlite:///{folder}/platform.db"
        member_url = f"sqlite+aiosqlite:///{folder}/institution-{{slug}}.db"
    settings = Settings(
        env="test",
        database_url=platform_url,
        public_base_url="http://localhost",
        secret_key="test-secret-key-for-samgak-tests",
        institution=InstitutionSettings(
            database_url=member_url, pool_size=5, combine_dir=f"{folder}/members/{{slug}}/combine"
        ),
        analytics=AnalyticsSettings(data_dir=f"{folder}/combine", models_dir=f"{folder}/models"),
        core=CoreSettings(seed=SEED, as_of=today_kst()),
        mydata=MydataSettings(schedule_seconds=0),  # tests sweep when they mean to
        payments=PaymentsSettings(
            webhook_seconds=0, resume_seconds=0
        ),  # tests deliver and resume when they mean to
        identity=IdentitySettings(address_burst=1000),  # every test proves people from one address
    )
    migrate_and_seed(settings, CUSTOMERS, SEED)
    yield settings
    if created:
        drop_pg_databases(created)


@pytest.fixture(scope="session")
def alliance(settings: Settings) -> SyntheticAlliance:
    return SyntheticAlliance(SEED, today_kst(), 5)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    holder: dict[str, Any] = {}

    async def late_app(scope: Any, receive: Any, send: Any) -> None:
        await holder["app"](scope, receive, send)

    application = create_app(settings, transport=httpx.ASGITransport(app=late_app))
    holder["app"] = application
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as c:
        yield c


def tran_id() -> str:
    return ("T" + uuid.uuid4().hex[:20]).upper()


class Operator:
    """A MyData service registered in the directory, driving the holders like a real operator."""

    def __init__(
        self, client: httpx.AsyncClient, client_id: str, secret: str, redirect_uri: str, org_code: str
    ) -> None:
        self.client, self.client_id, self.secret, self.redirect_uri, self.org_code = (
            client,
            client_id,
            secret,
            redirect_uri,
            org_code,
        )

    async def link(
        self,
        slug: str,
        org_code: str,
        person: Any,
        *,
        choose: list[str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """개별인증: authorize → sign in → consent → code → token."""
        base = f"/inst/{slug}"
        response = await self.client.get(
            f"{base}/oauth/2.0/authorize",
            params={
                "org_code": org_code,
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "state": "st4te",
            },
            headers={"x-user-ci": person.ci, "x-api-tran-id": tran_id()},
        )
        assert response.status_code == 302, response.text
        page = urlparse(response.headers["location"]).path
        response = await self.client.post(
            f"{page}/login",
            data={"phone": person.phone, "birth_date": f"{person.birth_date:%Y%m%d}", "pin": "000000"},
        )
        assert response.status_code == 303, response.text
        consent_page = await self.client.get(page)
        assets = re.findall(r'name="asset" value="(\d+)"', consent_page.text)
        form: dict[str, Any] = {
            "decision": "agree",
            "is_scheduled": "true",
            "cycle": "1/w",
            "trans_memo": "true",
            "merchant_regno": "true",
            "asset": assets if choose is None else choose,
            "scope": ["card.point", "card.bill"],
        } | (extra or {})
        response = await self.client.post(f"{page}/consent", data=form)
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["location"]).query)
        assert query["state"] == ["st4te"]
        response = await self.client.post(
            f"{base}/oauth/2.0/token",
            data={
                "org_code": org_code,
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "client_id": self.client_id,
                "client_secret": self.secret,
                "redirect_uri": self.redirect_uri,
            },
            headers={"x-api-tran-id": tran_id()},
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
async def operator(app: Any, client: httpx.AsyncClient) -> Operator:
    from samgak import directory
    from samgak.directory.schemas import ServiceCreate

    redirect = "https://mydata.samgak.test/callback"
    async with app.state.platform_db.unit_of_work() as session:
        service, secret = await directory.register_service(
            session,
            ServiceCreate(
                org_code=directory.OPERATOR_ORG_CODE,
                service_name="삼각 마이데이터 테스트",
                redirect_uris=[redirect],
                scope="bank.list bank.deposit bank.loan card.list card.card card.point card.bill telecom.list telecom.mgmt "
                "transfer carrier",
            ),
        )
    return Operator(client, service.client_id, secret, redirect, directory.OPERATOR_ORG_CODE)


def holding(alliance: SyntheticAlliance, slug: str, kind: str, *, start: int = 0) -> tuple[Any, Any]:
    """The first person (from ``start``) holding a product of ``kind`` at ``slug``, and that product."""
    for index in range(start, CUSTOMERS):
        person = alliance.person(index)
        for spec in alliance.holdings(person).get(slug, []):
            if spec.kind == kind:
                return person, spec
    raise LookupError(f"nobody holds a {kind} at {slug}")


class LiveServer(NamedTuple):
    """The whole platform in its own uvicorn process on localhost (a secure context for WebAuthn)."""

    base: str
    settings: Settings
    shop_key: str = ""  # the demo shop's merchant API key (SAMGAK_PAYMENTS__DEMO_SHOP_KEY)
    merchant_id: str = ""  # the demo shop's merchant id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    port = _free_port()
    base = f"http://localhost:{port}"
    env = {
        "SAMGAK_ENV": "test",
        "SAMGAK_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/platform.db",
        "SAMGAK_INSTITUTION__DATABASE_URL": f"sqlite+aiosqlite:///{folder}/institution-{{slug}}.db",
        "SAMGAK_PUBLIC_BASE_URL": base,
        "SAMGAK_SECRET_KEY": "browser-test-secret",
        "SAMGAK_CORE__LIVE_SEED": str(LIVE_SEED),
        "SAMGAK_IDENTITY__PASSKEY_RP_ID": "localhost",
        "SAMGAK_IDENTITY__PASSKEY_ORIGINS": json.dumps([base]),
        "SAMGAK_MYDATA__SCHEDULE_SECONDS": "0",
        "SAMGAK_PAYMENTS__WEBHOOK_SECONDS": "0",
        "SAMGAK_STAFF_KEY": STAFF_KEY,
        "SAMGAK_ANALYTICS__DATA_DIR": f"{folder}/combine",  # the agency's inbox, combinations, releases
        "SAMGAK_INSTITUTION__COMBINE_DIR": f"{folder}/members/{{slug}}/combine",  # members' key maps
        "SAMGAK_ANALYTICS__MODELS_DIR": f"{folder}/models",  # credit models, read anew on each request
    }
    settings = Settings(
        env="test",
        database_url=env["SAMGAK_DATABASE_URL"],
        public_base_url=base,
        secret_key=env["SAMGAK_SECRET_KEY"],
        institution=InstitutionSettings(database_url=env["SAMGAK_INSTITUTION__DATABASE_URL"]),
        analytics=AnalyticsSettings(models_dir=env["SAMGAK_ANALYTICS__MODELS_DIR"]),
        core=CoreSettings(seed=LIVE_SEED),
    )
    migrate_and_seed(settings, LIVE_CUSTOMERS, LIVE_SEED)
    # 삼각상회, the demo shop at /shop, onboarded before the server starts; it settles to the Woori
    # Bank demand deposit of a live customer without a KT line (no browser journey signs up as
    # them), found from the last customer down as `samgak seed` does
    from samgak import payments
    from samgak.kit.db import Database

    alliance = SyntheticAlliance(LIVE_SEED, today_kst(), 5)
    owner, account = next(
        (person, spec)
        for person in map(alliance.person, range(LIVE_CUSTOMERS - 1, -1, -1))
        if "kt" not in alliance.holdings(person)
        for spec in alliance.holdings(person).get("woori-bank", [])
        if spec.kind == "deposit" and spec.detail["saving_method"] == "01"
    )
    business_no = next(
        f"{n:010d}" for n in range(1_208_800_000, 1_208_900_000) if payments.valid_business_no(f"{n:010d}")
    )
    woori = next(m.org_code for m in settings.members if m.slug == "woori-bank")
    create = payments.MerchantCreate(
        "삼각상회", business_no, "5499", woori, account.asset_key, owner.name, 250
    )

    async def onboard() -> tuple[str, str]:
        database = Database(settings.database_url)
        try:
            return await payments.onboard(database, payments.sealer_of(settings), create)
        finally:
            await database.dispose()

    merchant_id, shop_key = asyncio.run(onboard())
    env["SAMGAK_PAYMENTS__DEMO_SHOP_KEY"] = shop_key
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
        yield LiveServer(base, settings, shop_key, merchant_id)
    finally:
        server.terminate()
        server.wait(10)
