"""Release review (반출심사, reference §6 stage 6): before any analyst sees a combined table, the
agency generalizes its quasi-identifiers to the least-loss node of the lattice that meets the
privacy criteria, reports what is left (k, ℓ, t, re-identification risk, utility), and a named
reviewer approves or rejects it with reasons. Only an approved release is written where
analysts read (``releases/``); a rejected one is destroyed.

Hierarchies come from the members' data specs (in their manifests): ``interval`` widths (each a
multiple of the one before), ``map`` levels, or none (kept or ``*``). Missing values are
``(없음)`` and generalize only to ``*``. The table is grouped by the engine (DuckDB or Spark) into
distinct rows with counts, encoded with Arrow and numpy (no Python loop over the rows); the search
(:mod:`samgak.analytics.anonymity`) runs on the distinct quasi-identifier rows, ℓ and t on the
groups with their sensitive values. The release is written by the engine — each generalized
attribute joined with its map of values to labels, the suppressed rows anti-joined away — while
numpy measures it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

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


def _encode(column: Any) -> tuple[list[str], npt.NDArray[np.int64]]:
    """A text column's distinct values in order, and each row's code (its value's place there)."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    found = encoded.dictionary.to_pylist()
    order = sorted(range(len(found)), key=found.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return [found[i] for i in order], rank[encoded.indices.to_numpy(zero_copy_only=False)]


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
        names = [c["name"] for c in quasi] + ([sensitive] if sensitive else [])
        counted = combined.group_by(names).aggregate(n=ibis._.count())  # on the values, then as text
        grouped = counted.select(*(_as_text(counted, name).name(name) for name in names), "n").to_pyarrow()
        encoded = [_encode(grouped[name]) for name in names]
        hierarchies = [hierarchy(c, values) for c, (values, _) in zip(quasi, encoded, strict=False)]
        weights = grouped["n"].to_numpy().astype(np.int64)
        # each group's quasi-identifier row among the distinct ones (two groups may share a text:
        # a value "(없음)" and a missing one), and those rows with their records: the search's table
        rows, place = anonymity.unique_rows(
            np.stack([codes for _, codes in encoded[: len(quasi)]], axis=1),
            [len(h.values) for h in hierarchies],
        )
        counts = np.bincount(place, weights=weights).astype(np.int64)
        table = searched = anonymity.Table(hierarchies, rows, counts, quasi=(rows, counts))
        secret = encoded[-1][1] if sensitive else None
        if secret is not None and (criteria.min_l or criteria.max_t):  # ℓ and t need the value per group
            searched = anonymity.Table(hierarchies, rows[place], weights, secret, quasi=(rows, counts))
        started = time.perf_counter()
        found = anonymity.search(
            searched,
            criteria.k,
            criteria.suppression,
            min_l=criteria.min_l,
            max_t=criteria.max_t,
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
        inverse, sizes = table.classes(node)
        small = sizes[inverse] < criteria.k  # the rows of the classes a release suppresses
        release = _release(combined, hierarchies, node, rows[small])
        out.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=1) as pool:  # the engine writes while numpy measures
            writing = pool.submit(write_parquet, backend, release, out / "release.parquet")
            kept = anonymity.Table(hierarchies, rows[~small], counts[~small])
            sizes = kept.classes(node)[1]
            result |= {
                "levels": found.levels,
                "loss_bits": round(found.loss, 1),
                "released": kept.records,
                "suppressed": table.records - kept.records,
                "classes": len(sizes),
                "k": int(sizes.min()),
                "class_sizes": _histogram(sizes),
                "risk": asdict(anonymity.risk(kept, node)),
                "utility": asdict(anonymity.utility(kept, node)),
                "generalized": {
                    h.name: h.labels[level][:12] for h, level in zip(hierarchies, node, strict=True)
                },
            }
            if secret is not None:
                chosen = ~small[place]  # the groups a release keeps
                released = anonymity.Table(hierarchies, rows[place[chosen]], weights[chosen], secret[chosen])
                distinct, entropy, t = anonymity.l_and_t(released, node)
                result |= {"l": distinct, "entropy_l": round(entropy, 3), "t": round(t, 4)}
            writing.result()
        return result
    except Exception:
        shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        close(backend)


def _release(
    combined: Any, hierarchies: list[anonymity.Hierarchy], node: tuple[int, ...], dropped: anonymity.Codes
) -> Any:
    """The combined table generalized to ``node`` (each generalized attribute joined with its map
    of values to labels) without the records whose quasi-identifiers are one of the ``dropped``
    rows of level-0 codes (an anti-join: they are few, at most the suppression budget)."""
    release = combined
    if len(dropped):
        rows = ibis.memtable(
            pa.table(
                {
                    f"_d{i}": pa.array(np.array(h.values, dtype=object)[dropped[:, i]], pa.string())
                    for i, h in enumerate(hierarchies)
                }
            )
        )
        release = release.anti_join(
            rows, [_as_text(release, h.name) == rows[f"_d{i}"] for i, h in enumerate(hierarchies)]
        )
    generalized = {}
    for i, (h, level) in enumerate(zip(hierarchies, node, strict=True)):
        if level > 0:
            labels = ibis.memtable(
                pa.table(
                    {
                        f"_v{i}": pa.array(h.values, pa.string()),
                        f"_g{i}": pa.array([h.labels[level][g] for g in h.maps[level]], pa.string()),
                    }
                )
            )
            release = release.join(labels, _as_text(release, h.name) == labels[f"_v{i}"])
            generalized[h.name] = f"_g{i}"
    return release.select(*(release[generalized.get(c, c)].name(c) for c in combined.columns))


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
