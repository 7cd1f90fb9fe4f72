"""The combination agency (결합전문기관, with the key-management role of 결합키관리기관): it keys the
members' CI digests into join keys, links two or more members' exports on those keys, and hands
the linked table to the release review with serial numbers in place of the keys (reference §6,
stages 2–4).

* **Join keys** — ``HMAC-SHA256(agency key, SHA-256(CI))``. The key never leaves the agency
  (``settings.analytics.join_key``); members send digests, never CIs, and get keys back.
* **Linking** — an inner join of the exports on ``join_key`` (Ibis, on DuckDB or Spark). A key
  that appears twice in one export is dropped from the link (it cannot be told apart) and counted
  in the linkage report. Each linked record gets a serial number; the combined table carries the
  serial, never the key. The serial ↔ key map stays at the agency (``linkage.parquet``) for one
  purpose: routing an approved campaign audience back to each member, who alone re-identifies.
* **Linkage report** — per export: records, duplicate keys, linked records and the match rate.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis

from samgak.analytics.engines import ENGINES, close, connect, numbered, read_parquet, write_parquet
from samgak.analytics.errors import AnalyticsError
from samgak.analytics.models import AnalyticsCombination
from samgak.analytics.repository import AnalyticsRepository
from samgak.config import Settings
from samgak.kit.crypto import derive_key, file_digest
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow

DIGEST = re.compile(r"^[0-9a-f]{64}$")


def agency_key(settings: Settings) -> bytes:
    secret = settings.analytics.join_key.get_secret_value()
    return (
        secret.encode()
        if secret
        else derive_key(settings.secret_key.get_secret_value(), "analytics/join-key")
    )


def key_id(key: bytes) -> str:
    """A public name of the key (which key made a file's join keys), not the key."""
    return hashlib.sha256(b"samgak-join-key/" + key).hexdigest()[:12]


def join_keys(key: bytes, digests: list[str]) -> list[str]:
    bad = next((d for d in digests if not DIGEST.match(d)), None)
    if bad is not None:
        raise AnalyticsError("digests are lowercase hex SHA-256 of the CI (64 characters)", code="bad_digest")
    return [hmac.new(key, bytes.fromhex(d), hashlib.sha256).hexdigest() for d in digests]


# --------------------------------------------------------------------------- the agency's files


def root(settings: Settings) -> Path:
    return Path(settings.analytics.data_dir)


def inbox(settings: Settings) -> Path:
    return root(settings) / "inbox"


def combination_dir(settings: Settings, combination_id: str) -> Path:
    return root(settings) / "agency" / "combinations" / combination_id


def manifest(settings: Settings, export_id: str) -> dict[str, Any]:
    path = inbox(settings) / export_id / "manifest.json"
    if "/" in export_id or export_id.startswith(".") or not path.is_file():
        raise AnalyticsError(f"no export {export_id!r} in the inbox", status_code=404, code="not_found")
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


def exports(settings: Settings) -> list[dict[str, Any]]:
    """Every export in the inbox (complete ones: members drop them atomically), newest first."""
    found = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in inbox(settings).glob("*/manifest.json")
        if not path.parent.name.startswith(".")
    ]
    return sorted(found, key=lambda m: m["created_at"], reverse=True)


@dataclass(frozen=True, slots=True)
class Linked:
    combination_id: str
    report: dict[str, Any]
    columns: list[dict[str, Any]]  # the combined table's columns, with their roles and hierarchies


def _check(settings: Settings, export_ids: list[str]) -> list[dict[str, Any]]:
    manifests = [manifest(settings, export_id) for export_id in export_ids]
    if len({m["org_code"] for m in manifests}) < 2 or len(manifests) != len(set(export_ids)):
        raise AnalyticsError("결합은 서로 다른 회원사 두 곳 이상의 반출본이 필요합니다", code="too_few")
    if len({m["key_id"] for m in manifests}) != 1:
        raise AnalyticsError("반출본들의 결합키가 서로 다른 키로 만들어졌습니다", code="key_mismatch")
    names = [c["name"] for m in manifests for c in m["columns"]]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise AnalyticsError(f"두 반출본에 같은 항목이 있습니다: {', '.join(clash)}", code="column_clash")
    if sum(c["role"] == "sensitive" for m in manifests for c in m["columns"]) > 1:
        raise AnalyticsError("민감 항목은 결합 전체에서 하나만 둘 수 있습니다", code="two_sensitive")
    return manifests


def _data(settings: Settings, m: dict[str, Any]) -> Path:
    return inbox(settings) / str(m["export_id"]) / "data.parquet"


@dataclass(frozen=True, slots=True)
class _Verified:
    """What the gate learns of an export's file: its records, and whether its join keys are
    strictly increasing (a member writes them in order), which proves that none is there twice."""

    rows: int
    unique: bool


# Each key against the one read before it: one chain through every row (a single row without a
# predecessor) in which each key is greater than the last holds no key twice, whatever the order.
IN_ORDER = """
SELECT count(*), count(join_key), count(*) FILTER (WHERE previous IS NULL),
       count(*) FILTER (WHERE join_key <= previous)
FROM (SELECT join_key, lag(join_key) OVER () AS previous FROM read_parquet(?))
"""


def _verify(settings: Settings, m: dict[str, Any]) -> _Verified:
    """The gate: the file is the one the member described (its SHA-256), and its keys in order
    (read by a DuckDB of its own, whichever engine links: a streaming pass, one thread)."""
    data = _data(settings, m)
    if file_digest(data) != m["sha256"]:
        raise AnalyticsError(f"{m['export_id']}: 파일이 매니페스트의 SHA-256과 다릅니다", code="tampered")
    with duckdb.connect(config={"threads": 1}) as reader:
        found = reader.execute(IN_ORDER, [str(data)]).fetchone()
    rows, keyed, first, descents = found if found else (0, 0, 0, 0)
    return _Verified(rows, keyed == rows and first == min(rows, 1) and descents == 0)


def _deduplicated(table: Any) -> tuple[Any, int, int]:
    """An export whose keys are not in order, counted by the engine: ``(the export without the
    keys it holds more than once, its records, those keys)``."""
    counts = table.group_by("join_key").aggregate(n=ibis._.count())
    stats = counts.aggregate(rows=counts.n.sum(), duplicates=(counts.n > 1).sum()).execute()
    once = counts.filter(counts.n == 1).select("join_key")
    return table.semi_join(once, "join_key"), int(stats["rows"][0] or 0), int(stats["duplicates"][0] or 0)


def _number_and_write(backend: Any, tables: list[Any], out: Path, ready: Callable[[], bool]) -> int | None:
    """Join the exports on their keys, number the linked records and write ``linkage.parquet`` and
    ``combined.parquet`` — once the join is computed and ``ready()`` agrees (None if it does not).
    The linked count."""
    joined = tables[0]
    for table in tables[1:]:
        joined = joined.join(table, "join_key")
    with numbered(backend, joined, "serial", order_by="join_key") as table:
        if not ready():
            return None
        write_parquet(backend, table.select("serial", "join_key"), out / "linkage.parquet", fast=True)
        write_parquet(backend, table.drop("join_key"), out / "combined.parquet")
        return int(table.count().execute())


def link(settings: Settings, export_ids: list[str], engine: str) -> Linked:
    """Link the exports; write ``combined.parquet`` (serial + attributes) and ``linkage.parquet``
    (serial ↔ join key) under the combination's directory.

    The gate (each file's SHA-256 against its manifest, its keys in order) runs in threads while
    the engine joins; nothing is written before it has passed. Keys in strict order are unique,
    so the join needs no duplicate check; an export whose keys are not is counted by the engine,
    its duplicated keys dropped, and the join made again."""
    manifests = _check(settings, export_ids)
    started = time.perf_counter()
    combination_id = f"C{time.strftime('%Y%m%d')}{secrets.token_hex(3).upper()}"
    out = combination_dir(settings, combination_id)
    out.mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=len(manifests)) as pool:  # hashing and reading release the GIL
        gate = [pool.submit(_verify, settings, m) for m in manifests]
        backend = connect(engine, settings.analytics.spark_master)
        try:
            tables = [read_parquet(backend, _data(settings, m)) for m in manifests]
            verified: list[_Verified] = []

            def passed() -> bool:
                verified.extend(check.result() for check in gate)
                return all(v.unique for v in verified)

            linked = _number_and_write(backend, tables, out, passed)
            rows, duplicates = [v.rows for v in verified], [0] * len(manifests)
            if linked is None:
                for i, v in enumerate(verified):
                    if not v.unique:
                        tables[i], rows[i], duplicates[i] = _deduplicated(tables[i])
                linked = _number_and_write(backend, tables, out, lambda: True)
            assert linked is not None
        except Exception:
            shutil.rmtree(out, ignore_errors=True)
            for check in gate:
                check.result()  # a file that is not the member's is the reason (the engine may trip on it)
            raise
        finally:
            close(backend)
    per_export = [
        {
            "export_id": m["export_id"],
            "org_code": m["org_code"],
            "org_name": m["org_name"],
            "rows": rows[i],
            "duplicate_keys": duplicates[i],
            "linked": linked,
            "match_rate": round(linked / rows[i], 4) if rows[i] else 0.0,
        }
        for i, m in enumerate(manifests)
    ]
    report = {
        "combination_id": combination_id,
        "engine": engine,
        "exports": per_export,
        "linked": linked,
        "seconds": round(time.perf_counter() - started, 3),
        "purposes": sorted({m["purpose"] for m in manifests}),
    }
    columns = [c for m in manifests for c in m["columns"]]
    (out / "report.json").write_text(
        json.dumps({"report": report, "columns": columns}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return Linked(combination_id, report, columns)


async def combine(database: Database, settings: Settings, export_ids: list[str], engine: str) -> Linked:
    """Link the exports (off the event loop) and record the combination with its report."""
    if engine not in ENGINES:
        raise AnalyticsError("엔진은 duckdb 또는 spark입니다", code="bad_engine")
    linked = await asyncio.to_thread(link, settings, export_ids, engine)
    async with database.unit_of_work() as session:
        AnalyticsRepository(session).add(
            AnalyticsCombination(
                id=linked.combination_id,
                exports=json.dumps(export_ids),
                engine=engine,
                linked=linked.report["linked"],
                report=json.dumps({"report": linked.report, "columns": linked.columns}, ensure_ascii=False),
                created_at=utcnow(),
            )
        )
    return linked
