"""Units of work on the embedded SQLite database take turns: no lost update, no lock polling."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from samgak.kit.db import Database


async def test_concurrent_units_of_work_on_sqlite_lose_no_update(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/counter.db")
    async with database.unit_of_work() as session:
        await session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        await session.execute(text("INSERT INTO counter VALUES (0)"))

    async def increment() -> None:
        async with database.unit_of_work() as session:
            n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
            await asyncio.sleep(0.001)  # another request runs here
            await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    await asyncio.gather(*(increment() for _ in range(40)))
    async with database.read_sessions() as session:
        assert (await session.execute(text("SELECT n FROM counter"))).scalar_one() == 40
    await database.dispose()


async def test_a_unit_of_work_takes_the_writer_only_at_its_first_statement(tmp_path: Path) -> None:
    """An open but untouched unit of work (a request still calling another service) does not block
    the units of work that service opens on the same database."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/lazy.db")
    async with database.unit_of_work() as outer:
        async with asyncio.timeout(5), database.unit_of_work() as inner:
            await inner.execute(text("CREATE TABLE t (x INTEGER)"))
        await outer.execute(text("INSERT INTO t VALUES (1)"))
    async with database.read_sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
    await database.dispose()
