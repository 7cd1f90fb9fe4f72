"""Where the agency's Ibis expressions run: DuckDB (embedded, the default) or Apache Spark.

The combination and the review are written once as Ibis expressions over Parquet files; only the
backend differs. ``spark`` starts (or reuses) a SparkSession on ``settings.analytics.spark_master``
— ``local[2]`` on one machine, ``spark://…``, ``yarn`` or ``k8s://…`` for a cluster — bound to the
loopback address when local.
"""

from __future__ import annotations

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


def write_parquet(backend: BaseBackend, expr: Any, path: Path) -> None:
    """One Parquet file (DuckDB) or a directory of part files (Spark) at ``path``."""
    backend.to_parquet(expr, str(path))


def read_parquet(backend: BaseBackend, path: Path) -> Any:
    return backend.read_parquet(str(path / "*.parquet") if path.is_dir() else str(path))
