"""Fixtures: a fresh SQLite platform database per test, built by the migrations, and an app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import samgak.migrations.platform
from samgak.config import Settings
from samgak.directory import (
    DirectoryError,
    directory_error_handler,
    register_support_client,
    router,
    seed_alliance,
)
from samgak.kit.db import Database
from samgak.kit.migrate import upgrade

MIGRATIONS = Path(samgak.migrations.platform.__file__).parent


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", database_url=f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    upgrade(MIGRATIONS, settings.database_url)
    database = Database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def seeded(db: Database, settings: Settings) -> Database:
    async with db.unit_of_work() as session:
        await seed_alliance(session, settings)
    return db


@pytest.fixture
async def support_client(seeded: Database) -> tuple[str, str]:
    """Support-API credentials of the platform's MyData service org."""
    async with seeded.unit_of_work() as session:
        return await register_support_client(session, "SAMGAKMD01")


@pytest.fixture
def app(seeded: Database, settings: Settings) -> FastAPI:
    application = FastAPI()
    application.include_router(router)
    application.add_exception_handler(DirectoryError, directory_error_handler)
    application.state.platform_db = seeded
    application.state.settings = settings
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test") as c:
        yield c


@pytest.fixture
async def token(client: httpx.AsyncClient, support_client: tuple[str, str]) -> str:
    client_id, secret = support_client
    response = await client.post(
        "/portal/mgmts/oauth/2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "manage",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def mgmt_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "x-api-tran-id": "SAMGAKMD01M00000000000001"}
