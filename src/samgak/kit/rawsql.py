"""Hot-path queries on the raw driver connection, inside the session's own transaction.

An ORM round trip costs more than the query on a 100-row page. ``RawQuery`` keeps the SQL in
the repository that owns it, written once with ``:name`` parameters, renders it per dialect
(``$1`` for asyncpg, ``?`` for sqlite3), and runs it on the DBAPI connection SQLAlchemy already
checked out for the session, so it shares the session's transaction and pool.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_PARAM = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class RawQuery:
    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.names = _PARAM.findall(sql)
        counter = iter(range(1, len(self.names) + 1))
        self.postgres_sql = _PARAM.sub(lambda _m: f"${next(counter)}", sql)
        self.sqlite_sql = _PARAM.sub("?", sql)

    async def fetch(self, session: AsyncSession, **params: Any) -> Sequence[Sequence[Any]]:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        args = [params[name] for name in self.names]
        if connection.dialect.name == "postgresql":
            return await driver.fetch(self.postgres_sql, *args)  # type: ignore[union-attr, no-any-return]
        cursor = await driver.execute(self.sqlite_sql, args)  # type: ignore[union-attr]
        try:
            return await cursor.fetchall()  # type: ignore[no-any-return]
        finally:
            await cursor.close()
