"""Where the agency's Ibis expressions run: DuckDB (embedded, the default) or Apache Spark.

The combination and the review are written once as Ibis expressions over Parquet files; only the
backend differs. ``spark`` starts (or reuses) a SparkSession on ``settings.analytics.spark_master``
— ``local[2]`` on one machine, ``spark://…``, ``yarn`` or ``k8s://…`` for a cluster — bound to the
loopback address when local.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
from ibis.backends import BaseBackend

ENGINES = ("duckdb", "spark")


def connect(engine: str, spark_master: str = "local[2]") -> BaseBackend:
    if engine == "duckdb":
        return ibis.duckdb.connect()
    if engine == "spark":
        from pyspark.sql import SparkSession  # a heavy import: only when Spark is asked for

        builder = SparkSession.builder.master(spark_master).appName("samgak-combine")
        if spark_master.startswith("local"):
            builder = (
                builder.config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "8")
            )
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return ibis.pyspark.connect(session)
    raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")


def close(backend: BaseBackend) -> None:
    """Release a DuckDB connection; a Spark session stays up for the next job (it takes seconds
    to start)."""
    if backend.name == "duckdb":
        backend.disconnect()


@contextmanager
def numbered(backend: BaseBackend, expr: Any, name: str, *, order_by: str) -> Iterator[Any]:
    """``expr`` computed once, with ``name`` numbering its rows 1, 2, …: every query of it (every
    file written from it) sees the same rows and numbers. DuckDB keeps it in a temporary table and
    numbers the rows by their row ids (the order they arrived in: no sort); Spark numbers them in
    ``order_by`` order (a window over one partition) and caches the result."""
    if backend.name == "duckdb":
        table_name = f"_numbered_{secrets.token_hex(4)}"
        table = backend.create_table(table_name, expr, temp=True)
        try:
            yield table.select(*expr.columns, (table.rowid() + 1).name(name))
        finally:
            backend.drop_table(table_name, force=True)
        return
    serial = (ibis.row_number().over(order_by=expr[order_by]) + 1).name(name)
    with expr.select(*expr.columns, serial).cache() as cached:
        yield cached


def write_parquet(backend: BaseBackend, expr: Any, path: Path, *, fast: bool = False) -> None:
    """One Parquet file (DuckDB) or a directory of part files (Spark) at ``path``; ``fast``: not
    compressed, for columns that would not shrink (hex digests) where writing speed matters."""
    options = {"compression": "uncompressed"} if fast else {}
    backend.to_parquet(expr, str(path), **options)


def read_parquet(backend: BaseBackend, path: Path) -> Any:
    return backend.read_parquet(str(path / "*.parquet") if path.is_dir() else str(path))
