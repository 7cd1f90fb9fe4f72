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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis

from samgak.analytics.engines import ENGINES, close, connect, read_parquet, write_parquet
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
    for m in manifests:  # the member's file is the one it described
        data = inbox(settings) / m["export_id"] / "data.parquet"
        if file_digest(data) != m["sha256"]:
            raise AnalyticsError(f"{m['export_id']}: 파일이 매니페스트의 SHA-256과 다릅니다", code="tampered")
    return manifests


def link(settings: Settings, export_ids: list[str], engine: str) -> Linked:
    """Link the exports; write ``combined.parquet`` (serial + attributes) and ``linkage.parquet``
    (serial ↔ join key) under the combination's directory."""
    manifests = _check(settings, export_ids)
    started = time.perf_counter()
    combination_id = f"C{time.strftime('%Y%m%d')}{secrets.token_hex(3).upper()}"
    out = combination_dir(settings, combination_id)
    out.mkdir(parents=True)
    backend = connect(engine, settings.analytics.spark_master)
    try:
        per_export = []
        unique = []
        for m in manifests:
            table = read_parquet(backend, inbox(settings) / m["export_id"] / "data.parquet")
            counts = table.group_by("join_key").aggregate(n=ibis._.count())
            stats = counts.aggregate(rows=counts.n.sum(), duplicates=(counts.n > 1).sum()).execute()
            once = counts.filter(counts.n == 1).select("join_key")
            unique.append(table.semi_join(once, "join_key"))
            per_export.append(
                {
                    "export_id": m["export_id"],
                    "org_code": m["org_code"],
                    "org_name": m["org_name"],
                    "rows": int(stats["rows"][0] or 0),
                    "duplicate_keys": int(stats["duplicates"][0] or 0),
                }
            )
        joined = unique[0]
        for table in unique[1:]:
            joined = joined.join(table, "join_key")
        numbered = joined.mutate(serial=ibis.row_number().over(order_by=joined.join_key) + 1)
        write_parquet(backend, numbered.select("serial", "join_key"), out / "linkage.parquet")
        write_parquet(backend, numbered.drop("join_key"), out / "combined.parquet")
        linked = int(read_parquet(backend, out / "linkage.parquet").count().execute())
    except Exception:
        shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        close(backend)
    for entry in per_export:
        entry["linked"] = linked
        entry["match_rate"] = round(linked / entry["rows"], 4) if entry["rows"] else 0.0
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
