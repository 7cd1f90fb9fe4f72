"""`make bench-combine`: the release review's lattice search on UCI Adult.

UCI Adult with ARX's own hierarchies (tests/data/adult-arx: 30,162 rows, 8 quasi-identifiers, a
4,320-node lattice), k=5, no suppression, non-uniform entropy: ``anonymity.search`` (median of
15 runs after one warm-up) beside ``anonymity.exhaustive`` in the same run (every node checked),
and ARX's published Flash time (28.4 ms, Java, anonbench) as the anchor; goal ≤ 100 ms. The
combination of two 5-million-row exports on DuckDB is not built yet; its figures will join this
file. Results: ``benchmarks/results/combine.json`` (``adult_levels``, ``adult_search_ms``).

    .venv/bin/python -m benchmarks.combine
"""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import time
from pathlib import Path

from samgak.analytics.anonymity import Hierarchy, Table, exhaustive, search

HERE = Path(__file__).parent
ADULT = HERE.parent / "tests" / "data" / "adult-arx"
RESULTS = HERE / "results" / "combine.json"
QI = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "salary-class"]
ARX_FLASH_MS = 28.4


def main() -> None:
    with (ADULT / "adult.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    hierarchies = [Hierarchy.read(q, ADULT / f"adult_hierarchy_{q}.csv") for q in QI]
    started = time.perf_counter()
    table = Table.of(
        {q: [r[q] for r in rows] for q in QI}, hierarchies, sensitive=[r["occupation"] for r in rows]
    )
    encode_ms = (time.perf_counter() - started) * 1000
    search(table, 5)  # warm-up
    times = []
    for _ in range(15):
        started = time.perf_counter()
        found = search(table, 5)
        times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    truth = exhaustive(table, 5)
    exhaustive_ms = (time.perf_counter() - started) * 1000
    assert found.node == truth.node, (found, truth)
    report = {
        "adult_levels": found.levels,
        "adult_search_ms": round(statistics.median(times), 1),
        "adult_search_checks": found.checks,
        "adult_exhaustive_ms": round(exhaustive_ms, 1),
        "adult_exhaustive_checks": truth.checks,
        "adult_same_optimum": found.node == truth.node,
        "adult_loss_bits": round(found.loss, 1),
        "adult_encode_ms": round(encode_ms, 1),
        "arx_flash_ms": ARX_FLASH_MS,
        "search_runs_ms": [round(t, 1) for t in times],
        "machine": {
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"{'Adult, k=5, 0% suppression':34}{'ms':>10}{'checks':>9}")
    print(f"{'lattice search (median of 15)':34}{report['adult_search_ms']:>10,.1f}{found.checks:>9}")
    print(f"{'exhaustive (same run)':34}{report['adult_exhaustive_ms']:>10,.1f}{truth.checks:>9,}")
    print(f"{'ARX Flash (published, Java)':34}{ARX_FLASH_MS:>10,.1f}{115:>9}")
    print(f"levels {found.levels}; same optimum: {found.node == truth.node}; goal ≤ 100 ms")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
