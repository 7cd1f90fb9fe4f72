"""Segments on approved releases, their reports, and the campaign audience they become.

A segment is declarative: per column of the release, the values it keeps (a generalized
quasi-identifier's labels, a category's values) or a numeric range (``min``/``max``); columns
are AND-ed, values within a column OR-ed. Reports count records by one column and never show a
count below the release's k (``<k``), so a segment report cannot single anyone out.

A segment becomes a joint campaign's audience without the agency re-identifying anyone: the
agency creates the campaign at offers, looks up the segment's serial numbers in the linkage map,
and leaves each member the join keys of the segment in its outbox. Each member maps the keys to
its own customers with the key map only it holds and hands them to the campaign, which keeps
only customers with a live marketing agreement (``offers.receive_audience``).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from samgak import offers
from samgak.analytics.agency import combination_dir, root
from samgak.analytics.engines import close, connect, read_parquet
from samgak.analytics.errors import AnalyticsError
from samgak.analytics.models import AnalyticsReview, AnalyticsSegment
from samgak.analytics.repository import AnalyticsRepository
from samgak.analytics.review import MISSING, releases
from samgak.config import Settings
from samgak.kit.charts import bars
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow

Rule = dict[str, dict[str, Any]]  # column → {"in": [...]} | {"min": n, "max": n}
VALUES_SHOWN = 40  # a column with more distinct values is offered as a range


async def approved(database: Database, settings: Settings, review_id: str) -> tuple[AnalyticsReview, Path]:
    """An approved review and its release; anything else is refused."""
    async with database.read_sessions() as session:
        row = await AnalyticsRepository(session).review(review_id)
    path = releases(settings) / review_id / "release.parquet"
    if row is None or row.decision != "approved" or not path.exists():
        raise AnalyticsError("승인된 반출본만 분석할 수 있습니다", status_code=403, code="not_approved")
    return row, path


def _text(table: Any, name: str) -> Any:
    return table[name].cast("string").fill_null(MISSING)


def describe(path: Path, engine: str, settings: Settings) -> dict[str, dict[str, Any]]:
    """What the builder offers per column: its values, or its range when it has many."""
    backend = connect(engine, settings.analytics.spark_master)
    try:
        table = read_parquet(backend, path)
        out: dict[str, dict[str, Any]] = {}
        for name, dtype in table.schema().items():
            if name == "serial":
                continue
            counts = table.group_by(value=_text(table, name)).aggregate(n=table.count()).execute()
            if dtype.is_numeric() and len(counts) > VALUES_SHOWN:
                bounds = table.aggregate(low=table[name].min(), high=table[name].max()).execute()
                out[name] = {"kind": "range", "min": int(bounds["low"][0]), "max": int(bounds["high"][0])}
            else:
                out[name] = {"kind": "values", "values": sorted(counts["value"])}
        return out
    finally:
        close(backend)


def rule_of(form: dict[str, list[str]], columns: dict[str, dict[str, Any]]) -> Rule:
    """A rule from the builder's form (``in:<column>`` checkboxes, ``min:``/``max:`` fields)."""
    rule: Rule = {}
    for name, column in columns.items():
        if column["kind"] == "values":
            chosen = [v for v in form.get(f"in:{name}", []) if v in column["values"]]
            if chosen and len(chosen) < len(column["values"]):
                rule[name] = {"in": chosen}
        else:
            bounds = {}
            for side in ("min", "max"):
                raw = (form.get(f"{side}:{name}") or [""])[0].replace(",", "").strip()
                if raw:
                    if not raw.lstrip("-").isdigit():
                        raise AnalyticsError(f"{name}: 숫자로 적으세요", code="bad_rule")
                    bounds[side] = int(raw)
            if bounds:
                rule[name] = bounds
    return rule


def _filtered(table: Any, rule: Rule) -> Any:
    for name, condition in rule.items():
        if name not in table.columns:
            raise AnalyticsError(f"반출본에 없는 항목입니다: {name}", code="bad_rule")
        if "in" in condition:
            table = table.filter(_text(table, name).isin(condition["in"]))
        if "min" in condition:
            table = table.filter(table[name] >= condition["min"])
        if "max" in condition:
            table = table.filter(table[name] <= condition["max"])
    return table


@dataclass(frozen=True, slots=True)
class Report:
    size: int
    total: int
    by: str
    breakdown: list[tuple[str, int]]  # counts of at least k
    hidden: int  # values whose count was below k (not shown)
    k: int

    def chart(self, title: str) -> str:
        return bars(self.breakdown, title=title, unit="명")


def report(path: Path, rule: Rule, by: str, k: int, engine: str, settings: Settings) -> Report:
    backend = connect(engine, settings.analytics.spark_master)
    try:
        table = read_parquet(backend, path)
        if by not in table.columns:
            raise AnalyticsError(f"반출본에 없는 항목입니다: {by}", code="bad_rule")
        total = int(table.count().execute())
        chosen = _filtered(table, rule)
        counts = (
            chosen.group_by(value=_text(chosen, by)).aggregate(n=chosen.count()).order_by("value").execute()
        )
    finally:
        close(backend)
    shown = [(str(v), int(n)) for v, n in zip(counts["value"], counts["n"], strict=True) if n >= k]
    size = int(counts["n"].sum()) if len(counts) else 0
    return Report(size, total, by, shown, len(counts) - len(shown), k)


async def save(database: Database, settings: Settings, review_id: str, name: str, rule: Rule) -> str:
    row, path = await approved(database, settings, review_id)
    if not name.strip():
        raise AnalyticsError("세그먼트 이름을 적으세요", code="bad_rule")
    k = json.loads(row.criteria)["k"]
    found = await asyncio.to_thread(report, path, rule, "serial", 1, settings.analytics.engine, settings)
    if found.size < k:
        raise AnalyticsError(f"고객 수가 k({k})보다 적은 세그먼트는 만들 수 없습니다", code="too_small")
    segment_id = f"S{secrets.token_hex(4).upper()}"
    async with database.unit_of_work() as session:
        AnalyticsRepository(session).add(
            AnalyticsSegment(
                id=segment_id,
                review_id=review_id,
                name=name.strip()[:100],
                rule=json.dumps(rule, ensure_ascii=False),
                size=found.size,
                campaign_id=None,
                created_at=utcnow(),
            )
        )
    return segment_id


def _join_keys(settings: Settings, combination_id: str, path: Path, rule: Rule) -> list[str]:
    backend = connect("duckdb")
    try:
        serials = _filtered(read_parquet(backend, path), rule).select("serial")
        linkage = read_parquet(backend, combination_dir(settings, combination_id) / "linkage.parquet")
        keys = linkage.semi_join(serials, "serial").select("join_key").execute()
    finally:
        close(backend)
    return sorted(keys["join_key"])


def outbox(settings: Settings, org_code: str) -> Path:
    return root(settings) / "outbox" / org_code


async def hand_to_campaign(
    database: Database, settings: Settings, segment_id: str, *, name: str, product: str, holdout_pct: int
) -> str:
    """Create the campaign at offers and leave each member its share of the audience; the
    campaign id. Once per segment."""
    async with database.read_sessions() as session:
        segment = await AnalyticsRepository(session).segment(segment_id)
    if segment is None:
        raise AnalyticsError(f"없는 세그먼트입니다: {segment_id}", status_code=404, code="not_found")
    if segment.campaign_id:
        raise AnalyticsError("이미 캠페인에 넘긴 세그먼트입니다", status_code=409, code="handed")
    review, path = await approved(database, settings, segment.review_id)
    async with database.read_sessions() as session:
        combination = await AnalyticsRepository(session).combination(review.combination_id)
    assert combination is not None
    keys = await asyncio.to_thread(
        _join_keys, settings, review.combination_id, path, json.loads(segment.rule)
    )
    campaign_id = await offers.create_campaign(database, name, product, f"release:{segment_id}", holdout_pct)
    created = datetime.now(UTC).isoformat()
    for entry in json.loads(combination.report)["report"]["exports"]:
        request_id = f"A{time.strftime('%Y%m%d')}{secrets.token_hex(4).upper()}"
        request = {
            "request_id": request_id,
            "campaign_id": campaign_id,
            "campaign_name": name,
            "segment": segment.name,
            "export_id": entry["export_id"],
            "join_keys": keys,
            "created_at": created,
        }
        box = outbox(settings, entry["org_code"])
        box.mkdir(parents=True, exist_ok=True)
        staging = box / f".{request_id}.tmp"
        staging.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
        os.replace(staging, box / f"{request_id}.json")
    async with database.unit_of_work() as session:
        row = await AnalyticsRepository(session).segment(segment_id)
        assert row is not None
        row.campaign_id = campaign_id
    return campaign_id
