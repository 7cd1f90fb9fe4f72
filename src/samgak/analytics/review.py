"""Release review (반출심사, reference §6 stage 6): before any analyst sees a combined table, the
agency generalizes its quasi-identifiers to the least-loss node of the lattice that meets the
privacy criteria, reports what is left (k, ℓ, t, re-identification risk, utility), and a named
reviewer approves or rejects it with reasons. Only an approved release is written where
analysts read (``releases/``); a rejected one is destroyed.

Hierarchies come from the members' data specs (in their manifests): ``interval`` widths (each a
multiple of the one before), ``map`` levels, or none (kept or ``*``). Missing values are
``(없음)`` and generalize only to ``*``. The table is grouped by the engine (DuckDB or Spark) into
distinct rows with counts; the search (:mod:`samgak.analytics.anonymity`) runs on those.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import ibis
import numpy as np

from samgak.analytics import anonymity
from samgak.analytics.agency import combination_dir, root
from samgak.analytics.engines import close, connect, read_parquet, write_parquet
from samgak.analytics.errors import AnalyticsError
from samgak.analytics.models import AnalyticsReview
from samgak.analytics.repository import AnalyticsRepository
from samgak.config import Settings
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow

MISSING = "(없음)"
TOP = "*"


@dataclass(frozen=True, slots=True)
class Criteria:
    """What a release must meet: k-anonymity with a suppression budget (share of records), and
    optionally distinct ℓ-diversity and t-closeness of the sensitive attribute."""

    k: int = 5
    suppression: float = 0.0
    min_l: int | None = None
    max_t: float | None = None

    def check(self) -> Criteria:
        if not 2 <= self.k <= 1000:
            raise AnalyticsError("k는 2 이상 1,000 이하로 정하세요", code="bad_criteria")
        if not 0.0 <= self.suppression <= 0.2:
            raise AnalyticsError("삭제 허용 비율은 0–20% 사이로 정하세요", code="bad_criteria")
        if self.min_l is not None and not 2 <= self.min_l <= 100:
            raise AnalyticsError("ℓ은 2 이상으로 정하세요", code="bad_criteria")
        if self.max_t is not None and not 0.0 < self.max_t <= 1.0:
            raise AnalyticsError("t는 0보다 크고 1 이하로 정하세요", code="bad_criteria")
        return self


def _interval(value: str, width: int) -> str:
    low = int(value) // width * width
    return f"{low:,}–{low + width - 1:,}"


def hierarchy(column: dict[str, Any], values: list[str]) -> anonymity.Hierarchy:
    """A column's hierarchy over its present ``values``, from its declaration in the data spec."""
    declared = column.get("hierarchy") or {}
    rows = [[value] for value in values]
    if "interval" in declared:
        widths = [int(w) for w in declared["interval"]]
        if any(w <= 0 for w in widths) or any(b % a for a, b in itertools.pairwise(widths)):
            raise AnalyticsError(
                f"{column['name']}: 구간 폭은 앞의 폭의 배수로 커져야 합니다", code="bad_hierarchy"
            )
        for row in rows:
            row += [row[0] if row[0] == MISSING else _interval(row[0], w) for w in widths]
    for level in declared.get("map", []):
        for row in rows:
            if row[-1] != MISSING and row[-1] not in level:
                raise AnalyticsError(
                    f"{column['name']}: {row[-1]!r}의 상위 분류가 없습니다", code="bad_hierarchy"
                )
            row.append(level.get(row[-1], MISSING))
    for row in rows:
        row.append(TOP)
    return anonymity.Hierarchy.from_rows(column["name"], rows)


def _as_text(table: Any, name: str) -> Any:
    return table[name].cast("string").fill_null(MISSING)


def evaluate(
    settings: Settings, combination_id: str, criteria: Criteria, engine: str, review_id: str
) -> dict[str, Any]:
    """Search, measure and write the candidate release; the result as a JSON-able dict."""
    columns = json.loads((combination_dir(settings, combination_id) / "report.json").read_text("utf-8"))[
        "columns"
    ]
    quasi = [c for c in columns if c["role"] == "quasi"]
    sensitive = next((c["name"] for c in columns if c["role"] == "sensitive"), None)
    if not quasi:
        raise AnalyticsError("준식별자가 없는 결합입니다", code="no_quasi")
    if (criteria.min_l or criteria.max_t) and sensitive is None:
        raise AnalyticsError("ℓ-다양성과 t-근접성에는 민감 항목이 필요합니다", code="no_sensitive")
    backend = connect(engine, settings.analytics.spark_master)
    out = root(settings) / "agency" / "reviews" / review_id
    try:
        combined = read_parquet(backend, combination_dir(settings, combination_id) / "combined.parquet")
        keys = {c["name"]: _as_text(combined, c["name"]) for c in quasi}
        if sensitive:
            keys[sensitive] = _as_text(combined, sensitive)
        grouped = combined.group_by(**keys).aggregate(n=ibis._.count()).execute()
        hierarchies = [hierarchy(c, sorted(set(grouped[c["name"]]))) for c in quasi]
        table = anonymity.Table.of(
            {c["name"]: list(grouped[c["name"]]) for c in quasi},
            hierarchies,
            sensitive=list(grouped[sensitive]) if sensitive else None,
            weights=list(grouped["n"]),
        )
        started = time.perf_counter()
        found = anonymity.search(
            table, criteria.k, criteria.suppression, min_l=criteria.min_l, max_t=criteria.max_t
        )
        search_ms = (time.perf_counter() - started) * 1000
        result: dict[str, Any] = {
            "records": table.records,
            "quasi": [c["name"] for c in quasi],
            "sensitive": sensitive,
            "lattice": int(np.prod([h.height for h in hierarchies])),
            "checks": found.checks,
            "search_ms": round(search_ms, 1),
            "satisfied": found.node is not None,
        }
        if found.node is None:
            return result
        node = found.node
        released = table.released(node, criteria.k)
        sizes = released.classes(node)[1]
        result |= {
            "levels": found.levels,
            "loss_bits": round(found.loss, 1),
            "released": released.records,
            "suppressed": table.records - released.records,
            "classes": len(sizes),
            "k": int(sizes.min()),
            "class_sizes": _histogram(sizes),
            "risk": asdict(anonymity.risk(released, node)),
            "utility": asdict(anonymity.utility(released, node)),
            "generalized": {h.name: h.labels[level][:12] for h, level in zip(hierarchies, node, strict=True)},
        }
        if sensitive:
            distinct, entropy = anonymity.l_diversity(released, node)
            result |= {
                "l": distinct,
                "entropy_l": round(entropy, 3),
                "t": round(anonymity.t_closeness(released, node), 4),
            }
        release = combined.mutate(
            **{
                h.name: _as_text(combined, h.name).substitute(
                    {value: h.labels[level][h.maps[level][code]] for code, value in enumerate(h.values)}
                )
                for h, level in zip(hierarchies, node, strict=True)
                if level > 0
            }
        )
        if result["suppressed"]:
            names = [h.name for h in hierarchies]
            release = release.mutate(_class=ibis._.count().over(group_by=names))
            release = release.filter(release._class >= criteria.k).drop("_class")
        out.mkdir(parents=True, exist_ok=True)
        write_parquet(backend, release, out / "release.parquet")
        return result
    except Exception:
        shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        close(backend)


def _histogram(sizes: np.ndarray[Any, Any]) -> list[tuple[str, int]]:
    """Records by class size band (what the review page draws)."""
    bands = [(5, "1–4"), (10, "5–9"), (20, "10–19"), (50, "20–49"), (100, "50–99"), (10**12, "100+")]
    low, out = 0, []
    for high, label in bands:
        chosen = (sizes >= low) & (sizes < high)
        out.append((label, int(sizes[chosen].sum())))
        low = high
    return out


async def review(
    database: Database, settings: Settings, combination_id: str, criteria: Criteria, engine: str
) -> str:
    """Run a release review of a combination; its id (the decision is still to be made)."""
    criteria.check()
    async with database.read_sessions() as session:
        if await AnalyticsRepository(session).combination(combination_id) is None:
            raise AnalyticsError(f"없는 결합입니다: {combination_id}", status_code=404, code="not_found")
    review_id = f"R{time.strftime('%Y%m%d')}{secrets.token_hex(3).upper()}"
    result = await asyncio.to_thread(evaluate, settings, combination_id, criteria, engine, review_id)
    async with database.unit_of_work() as session:
        AnalyticsRepository(session).add(
            AnalyticsReview(
                id=review_id,
                combination_id=combination_id,
                criteria=json.dumps(asdict(criteria)),
                result=json.dumps(result, ensure_ascii=False),
                decision=None,
                reviewer=None,
                reasons=None,
                created_at=utcnow(),
                decided_at=None,
            )
        )
    return review_id


def releases(settings: Settings) -> Path:
    return root(settings) / "releases"


async def decide(
    database: Database, settings: Settings, review_id: str, *, reviewer: str, decision: str, reasons: str
) -> None:
    """Record the reviewer's decision; an approved release moves to ``releases/``, a rejected one is
    destroyed. A decision is final."""
    reviewer, reasons = reviewer.strip(), reasons.strip()
    if decision not in ("approved", "rejected"):
        raise AnalyticsError("승인 또는 반려를 고르세요", code="bad_decision")
    if not reviewer or len(reviewer) > 60 or not reasons:
        raise AnalyticsError("심사위원 이름과 판단 사유를 적으세요", code="bad_decision")
    async with database.unit_of_work() as session:
        row = await AnalyticsRepository(session).review(review_id, for_update=True)
        if row is None:
            raise AnalyticsError(f"없는 심사입니다: {review_id}", status_code=404, code="not_found")
        if row.decision is not None:
            raise AnalyticsError("이미 결정된 심사입니다", status_code=409, code="decided")
        result = json.loads(row.result)
        if decision == "approved" and not result["satisfied"]:
            raise AnalyticsError(
                "기준을 만족하는 일반화가 없어 승인할 수 없습니다", status_code=409, code="unsatisfied"
            )
        row.decision, row.reviewer, row.reasons, row.decided_at = decision, reviewer, reasons, utcnow()
        candidate = root(settings) / "agency" / "reviews" / review_id
        if decision == "approved":
            target = releases(settings) / review_id
            target.parent.mkdir(parents=True, exist_ok=True)
            (candidate / "release.json").write_text(
                json.dumps(
                    {
                        "review_id": review_id,
                        "combination_id": row.combination_id,
                        "reviewer": reviewer,
                        "reasons": reasons,
                        "decided_at": row.decided_at.isoformat(),
                        "criteria": json.loads(row.criteria),
                        "result": result,
                    },
                    ensure_ascii=False,
                    indent=2,
                ),
                encoding="utf-8",
            )
            os.replace(candidate, target)
        else:
            shutil.rmtree(candidate, ignore_errors=True)
