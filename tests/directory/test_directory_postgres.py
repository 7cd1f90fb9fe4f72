"""The migrations and the service on PostgreSQL (set SAMGAK_TEST_DATABASE_URL to a server's URL).

A throwaway database is created, migrated, exercised and dropped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import samgak.migrations.platform
from samgak.config import Settings
from samgak.directory import (
    ServiceCreate,
    list_orgs,
    list_services,
    public_orgs,
    register_service,
    seed_alliance,
    verify_support_client,
)
from samgak.directory import register_support_client as new_support_client
from samgak.kit.db import Database
from samgak.kit.migrate import upgrade

SERVER_URL = os.environ.get("SAMGAK_TEST_DATABASE_URL")
MIGRATIONS = Path(samgak.migrations.platform.__file__).parent
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not SERVER_URL, reason="SAMGAK_TEST_DATABASE_URL is not set"),
]


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    assert SERVER_URL
    name = f"samgak_dir_test_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(MIGRATIONS, url)
    database = Database(url, pool_size=2)
    try:
        yield database
    finally:
        await database.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_directory_on_postgres(pg: Database) -> None:
    settings = Settings(env="test")
    async with pg.unit_of_work() as session:
        await seed_alliance(session, settings)
        await seed_alliance(session, settings)
        _, secret = await register_service(
            session,
            ServiceCreate(
                org_code="SAMGAKMD01", service_name="pay", redirect_uris=["https://x/cb"], scope="pay"
            ),
        )
        client_id, support_secret = await new_support_client(session, "KTTC000030")
    async with pg.read_sessions() as session:
        assert [o.org_code for o in await public_orgs(session)] == sorted(
            s.org_code for s in settings.members
        )
        orgs = (await list_orgs(session)).orgs
        assert len(orgs) == 6 and all(o.modified_at.tzinfo == UTC for o in orgs)
        assert (await list_orgs(session, "99991231235959")).orgs == []
        assert [s.service_name for s in (await list_services(session)).services] == ["pay"]
        assert await verify_support_client(session, client_id, support_secret) == "KTTC000030"
    assert secret.startswith("sgk_cs_")
