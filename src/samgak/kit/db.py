"""Database engines, sessions and the declarative base.

Nothing connects at import time: ``create_engine`` is called from an application's lifespan
or a CLI command. SQLite gets the pragmas a concurrent web server needs (WAL, a busy timeout,
foreign keys); PostgreSQL gets asyncpg with a sized pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A metadata with the house naming convention (so migrations name constraints the same way)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class ReadSession(AsyncSession):
    """A session for pages and reports: it is never committed."""


class WriteSession(AsyncSession):
    """A session owned by a unit of work (request, job or CLI command) that commits it."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 20, writer: bool = False) -> AsyncEngine:
    """An async engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``).

    ``writer`` (SQLite only): one connection, which units of work take in turn. SQLite has one
    writer at a time; left to itself, a second writer polls the file lock with sleeps of up to
    100 ms (its busy handler), turning ten concurrent requests into second-long waits. Queued on
    the pool instead, the next unit of work gets the connection the moment the last one commits.
    A session takes the connection at its first statement, not when it is opened."""
    if is_sqlite(url):
        sizing = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 30} if writer else {}
        engine = create_async_engine(url, connect_args={"timeout": 30}, **sizing)
        _sqlite_pragmas(engine)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def sync_url(url: str) -> str:
    """The same database for a synchronous driver (Alembic, bulk loads)."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class Database:
    """One database: its engine and the two session makers (read and write)."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.write_engine = create_engine(url, writer=True) if is_sqlite(url) else self.engine
        self.write_sessions = async_sessionmaker(
            self.write_engine, class_=WriteSession, expire_on_commit=False
        )
        self.read_sessions = async_sessionmaker(self.engine, class_=ReadSession, expire_on_commit=False)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[WriteSession]:
        """Commit when the block ends cleanly, roll back when it raises."""
        async with self.write_sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
