"""`make bench-combine`: the release review's lattice search on UCI Adult, and the combination
and review of two 5-million-row exports on DuckDB beside a plain DuckDB join.

**Adult half.** UCI Adult with ARX's own hierarchies (tests/data/adult-arx: 30,162 rows, 8
quasi-identifiers, a 4,320-node lattice), k=5, no suppression, non-uniform entropy:
``anonymity.search`` (median of 15 runs after one warm-up) beside ``anonymity.exhaustive`` in the
same run (every node checked), and ARX's published Flash time (28.4 ms, Java, anonbench) as the
anchor; goal ≤ 100 ms.

**DuckDB half.** Two exports written into a temporary agency inbox exactly as members write them
(``data.parquet`` in join-key order + ``manifest.json`` with the columns, roles and hierarchies of
the shipped specs ``kt-marketing`` and ``bc-card-marketing``, the same key id, the file's
SHA-256): KT's (age 19–86, sex, 17 provinces weighted by population, the monthly bill rounded to
1,000원, how it was paid, micro-payments) and BC Card's (card spending rounded to 10,000원, the
sensitive attribute; cards held), ``--rows`` (or ``COMBINE_ROWS``, default 5,000,000) each, about
80 % of the keys in both. Data is generated with numpy from a fixed seed. Timed in the same run,
median of ``--runs`` (default 3):

* the baseline — a plain DuckDB join of the two files written to Parquet
  (``COPY (SELECT * FROM read_parquet(…) AS a JOIN read_parquet(…) AS b USING (join_key)) TO …``);
* ours — ``agency.link`` (manifest and SHA-256 checks, duplicate keys dropped and counted, serial
  numbers, ``combined.parquet`` and ``linkage.parquet``) then ``review.evaluate`` with k=5 and 1 %
  suppression (grouping, lattice search, figures, the generalized release written); goal: the
  two together ≤ 1.5 × the plain join;
* the same link and review on Spark (``local[2]``, one run, the session start-up apart), on
  ``--spark-rows`` (default: the same size; ``0`` skips Spark).

Results: ``benchmarks/results/combine.json`` (``adult_*`` and ``duckdb``/``spark`` figures).

    .venv/bin/python -m benchmarks.combine [--rows 5000000] [--runs 3] [--spark-rows N] [--skip-adult]
    COMBINE_ROWS=200000 .venv/bin/python -m benchmarks.combine     # a quick run
"""

from __future__ import annotations

import argparse
import binascii
import csv
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.machine import machine
from samgak.analytics.anonymity import Hierarchy, Table, exhaustive, search

HERE = Path(__file__).parent
ADULT = HERE.parent / "tests" / "data" / "adult-arx"
RESULTS = HERE / "results" / "combine.json"
QI = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "salary-class"]
ARX_FLASH_MS = 28.4
GOAL = 1.5
SEED = 20200820
SHARED = 0.8  # of each export's keys, in the other as well
CRITERIA_K, CRITERIA_SUPPRESSION = 5, 0.01


# --------------------------------------------------------------------------- the Adult half


def adult() -> dict[str, Any]:
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
    return {
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
    }


# --------------------------------------------------------------------------- two members' exports


def _hex_keys(raw: npt.NDArray[np.uint8]) -> pa.StringArray:
    """64-character lowercase hex strings of 32-byte rows, built straight into an Arrow array."""
    data = binascii.hexlify(raw.tobytes())
    offsets = np.arange(0, 64 * (len(raw) + 1), 64, dtype=np.int32)
    return pa.StringArray.from_buffers(len(raw), pa.py_buffer(offsets), pa.py_buffer(data))


def _key_order(raw: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """The order of 32-byte keys as their hex strings sort (bytewise, big-endian)."""
    words = raw.view(">u8")  # (n, 4) big-endian 64-bit words
    order = np.argsort(words[:, 0], kind="stable")
    head = words[order, 0]
    if np.any(head[1:] == head[:-1]):  # a tie in the first 64 bits: sort on every word
        order = np.lexsort(words.T[::-1])
    return order


def _choice(rng: np.random.Generator, values: list[str], weights: list[float], n: int) -> pa.Array:
    p = np.asarray(weights, dtype=np.float64)
    codes = rng.choice(len(values), size=n, p=p / p.sum()).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(values)).cast(pa.string())


def _kt_columns(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    from samgak.institution.core.synthetic.catalog import PROVINCES

    ages = np.arange(19, 87)
    weight = np.select(
        [ages < 30, ages < 40, ages < 50, ages < 60, ages < 70, ages < 80],
        [0.80, 0.85, 1.00, 1.05, 0.90, 0.50],
        0.25,
    )
    bill = np.clip(rng.lognormal(np.log(55_000), 0.45, n), 10_000, 300_000) // 1_000 * 1_000
    return {
        "age": pa.array(rng.choice(ages, size=n, p=weight / weight.sum()).astype(np.int64)),
        "sex": _choice(rng, ["M", "F"], [1, 1], n),
        "region": _choice(rng, [p for p, _ in PROVINCES], [w for _, w in PROVINCES], n),
        "telecom_bill": pa.array(bill.astype(np.int64)),
        "telecom_pay": _choice(rng, ["자동납부", "지로", "미납"], [0.78, 0.19, 0.03], n),
        "micro_payments": pa.array(rng.negative_binomial(1, 0.2, n).astype(np.int64)),
    }


def _bc_columns(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    spend = np.clip(rng.lognormal(np.log(700_000), 0.9, n), 0, 30_000_000) // 10_000 * 10_000
    spend[rng.random(n) < 0.08] = 0  # a card held but not used in three months
    return {
        "card_spend": pa.array(spend.astype(np.int64)),
        "card_count": pa.array(np.minimum(1 + rng.poisson(0.6, n), 8).astype(np.int64)),
    }


def _write_export(
    inbox: Path,
    spec_name: str,
    org_name: str,
    raw: npt.NDArray[np.uint8],
    columns: dict[str, pa.Array],
    key_id: str,
    created: datetime,
    suffix: str,
) -> str:
    """One export as ``institution.combine.export`` writes it: rows in join-key order, Parquet,
    the manifest with the file's SHA-256, dropped into the inbox atomically."""
    from samgak.institution.combine.spec import DataSpec
    from samgak.kit.crypto import file_digest

    spec = DataSpec.load(spec_name)
    # rows in join-key order (the attributes are drawn independently of the keys: no need to
    # carry them along)
    table = pa.table(
        {"join_key": _hex_keys(raw[_key_order(raw)])} | {a.name: columns[a.name] for a in spec.attributes}
    )
    export_id = f"{spec.org_code}-{spec.name}-{created:%Y%m%d%H%M%S}-{suffix}"
    staging = inbox / f".{export_id}"
    staging.mkdir(parents=True)
    pq.write_table(table, staging / "data.parquet")
    manifest = {
        "export_id": export_id,
        "org_code": spec.org_code,
        "org_name": org_name,
        "spec": spec.name,
        "purpose": spec.purpose,
        "created_at": created.isoformat(),
        "as_of": date(2025, 6, 30).isoformat(),
        "rows": len(raw),
        "key_id": key_id,
        "sha256": file_digest(staging / "data.parquet"),
        "columns": [
            {
                "name": a.name,
                "role": a.role,
                "type": "int" if pa.types.is_integer(table[a.name].type) else "str",
                "hierarchy": a.hierarchy,
            }
            for a in spec.attributes
        ],
    }
    (staging / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    os.replace(staging, inbox / export_id)
    return export_id


def generate(settings: Any, rows: int) -> dict[str, Any]:
    """KT's and BC Card's exports of ``rows`` each, ``SHARED`` of the keys in both."""
    from samgak.analytics.agency import agency_key, inbox, key_id

    rng = np.random.default_rng(SEED)
    shared = round(rows * SHARED)
    keys = np.frombuffer(rng.bytes(32 * (2 * rows - shared)), dtype=np.uint8).reshape(-1, 32)
    kt_keys = keys[:rows]
    bc_keys = np.concatenate([kt_keys[rng.permutation(rows)[:shared]], keys[rows:]])
    kid = key_id(agency_key(settings))
    created = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    folder = inbox(settings)
    kt, bc = (
        _write_export(folder, spec, name, raw, columns, kid, created, f"{rng.integers(1 << 16):04x}")
        for spec, name, raw, columns in (
            ("kt-marketing", "KT", kt_keys, _kt_columns(rng, rows)),
            ("bc-card-marketing", "비씨카드", bc_keys, _bc_columns(rng, rows)),
        )
    )
    return {"ids": [kt, bc], "rows": rows, "shared": shared}


# --------------------------------------------------------------------------- the timed runs


def plain_join(settings: Any, ids: list[str], target: Path) -> tuple[float, int]:
    """The baseline: DuckDB itself, joining the two files into one Parquet file."""
    import duckdb

    from samgak.analytics.agency import inbox

    a, b = (inbox(settings) / i / "data.parquet" for i in ids)
    started = time.perf_counter()
    connection = duckdb.connect()
    try:
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{a}') AS a JOIN read_parquet('{b}') AS b USING (join_key)) "
            f"TO '{target}' (FORMAT parquet)"
        )
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    return elapsed, pq.ParquetFile(target).metadata.num_rows


def ours(settings: Any, ids: list[str], engine: str, review_id: str) -> dict[str, Any]:
    """``agency.link`` then ``review.evaluate``, each timed."""
    from samgak.analytics.agency import link
    from samgak.analytics.review import Criteria, evaluate

    started = time.perf_counter()
    linked = link(settings, ids, engine)
    combine_s = time.perf_counter() - started
    started = time.perf_counter()
    result = evaluate(
        settings, linked.combination_id, Criteria(CRITERIA_K, CRITERIA_SUPPRESSION), engine, review_id
    )
    review_s = time.perf_counter() - started
    return {
        "combination_id": linked.combination_id,
        "report": linked.report,
        "result": result,
        "combine_s": combine_s,
        "review_s": review_s,
        "total_s": combine_s + review_s,
    }


def _clean(settings: Any, run: dict[str, Any], review_id: str) -> None:
    from samgak.analytics.agency import combination_dir, root

    shutil.rmtree(combination_dir(settings, run["combination_id"]), ignore_errors=True)
    shutil.rmtree(root(settings) / "agency" / "reviews" / review_id, ignore_errors=True)


def _check(run: dict[str, Any], data: dict[str, Any]) -> None:
    assert run["report"]["linked"] == data["shared"], (run["report"]["linked"], data["shared"])
    assert run["result"]["satisfied"], run["result"]
    assert all(e["rows"] == data["rows"] and e["duplicate_keys"] == 0 for e in run["report"]["exports"])


def duckdb_half(settings: Any, data: dict[str, Any], runs: int) -> dict[str, Any]:
    from samgak.analytics.agency import root
    from samgak.analytics.engines import close, connect

    close(connect("duckdb"))  # imports (Ibis, its DuckDB backend) outside the timings, as in a server

    baseline, mine = [], []
    for n in range(runs):
        target = root(settings) / f"plain-{n}.parquet"
        seconds, joined = plain_join(settings, data["ids"], target)
        target.unlink()
        assert joined == data["shared"], (joined, data["shared"])
        baseline.append(seconds)
        print(f"  plain DuckDB join: {seconds:.2f} s", flush=True)
        run = ours(settings, data["ids"], "duckdb", f"RBENCH{n}")
        _check(run, data)
        _clean(settings, run, f"RBENCH{n}")
        mine.append(run)
        print(f"  link {run['combine_s']:.2f} s + review {run['review_s']:.2f} s", flush=True)
    ratios = [r["total_s"] / b for r, b in zip(mine, baseline, strict=True)]
    plain = statistics.median(baseline)
    combine_s = statistics.median(r["combine_s"] for r in mine)
    review_s = statistics.median(r["review_s"] for r in mine)
    total = statistics.median(r["total_s"] for r in mine)
    last = mine[-1]["result"]
    return {
        "runs": runs,
        "plain_duckdb_join_s": round(plain, 2),
        "combine_s": round(combine_s, 2),
        "review_s": round(review_s, 2),
        "combine_review_s": round(total, 2),
        "ratio_vs_plain_join": round(total / plain, 3),
        "goal": GOAL,
        "linked": mine[-1]["report"]["linked"],
        "review": {
            key: last[key]
            for key in (
                "levels",
                "released",
                "suppressed",
                "classes",
                "k",
                "l",
                "t",
                "lattice",
                "checks",
                "search_ms",
            )
            if key in last
        },
        "ratio_per_run": [round(r, 3) for r in ratios],  # each run's total over its own plain join
        "runs_s": {
            "plain_duckdb_join": [round(s, 2) for s in baseline],
            "combine": [round(r["combine_s"], 2) for r in mine],
            "review": [round(r["review_s"], 2) for r in mine],
        },
    }


def spark_half(settings: Any, data: dict[str, Any]) -> dict[str, Any]:
    from samgak.analytics.engines import connect

    if shutil.which("java") is None:
        return {"rows": data["rows"], "skipped": "Spark needs a Java runtime (java not on PATH)"}

    started = time.perf_counter()
    connect("spark", settings.analytics.spark_master)  # the session stays up for the runs
    startup = time.perf_counter() - started
    print(f"  Spark session: {startup:.1f} s", flush=True)
    run = ours(settings, data["ids"], "spark", "RBENCHSPARK")
    _check(run, data)
    _clean(settings, run, "RBENCHSPARK")
    print(f"  link {run['combine_s']:.1f} s + review {run['review_s']:.1f} s", flush=True)
    return {
        "rows": data["rows"],
        "shared": data["shared"],
        "master": settings.analytics.spark_master,
        "session_start_s": round(startup, 1),
        "combine_s": round(run["combine_s"], 1),
        "review_s": round(run["review_s"], 1),
        "spark_s": round(run["total_s"], 1),
        "levels": run["result"].get("levels"),
    }


def combination(rows: int, runs: int, spark_rows: int) -> dict[str, Any]:
    from samgak.config import AnalyticsSettings, Settings

    report: dict[str, Any] = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="samgak-bench-combine-") as tmp:
        settings = Settings(analytics=AnalyticsSettings(data_dir=tmp))
        started = time.perf_counter()
        data = generate(settings, rows)
        report["generate_s"] = round(time.perf_counter() - started, 1)
        print(
            f"wrote two exports of {rows:,} rows ({data['shared']:,} keys shared) in {report['generate_s']} s",
            flush=True,
        )
        report |= {
            "rows_per_export": rows,
            "shared_keys": data["shared"],
            "duckdb": duckdb_half(settings, data, runs),
        }
        if spark_rows:
            if spark_rows != rows:
                shutil.rmtree(Path(tmp) / "inbox")
                data = generate(settings, spark_rows)
            report["spark"] = spark_half(settings, data)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=int(os.environ.get("COMBINE_ROWS", 5_000_000)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spark-rows", type=int, default=None, help="rows per export on Spark (0: skip)")
    parser.add_argument("--skip-adult", action="store_true")
    args = parser.parse_args()
    spark_rows = args.rows if args.spark_rows is None else args.spark_rows

    report: dict[str, Any] = {}
    if not args.skip_adult:
        report |= adult()
    elif RESULTS.exists():
        report |= {
            k: v
            for k, v in json.loads(RESULTS.read_text()).items()
            if k.startswith(("adult", "arx", "search"))
        }
    combined = combination(args.rows, args.runs, spark_rows)
    duck = combined["duckdb"]
    report |= {
        "rows_per_export": combined["rows_per_export"],
        "shared_keys": combined["shared_keys"],
        "linked": duck["linked"],
        "plain_duckdb_join_s": duck["plain_duckdb_join_s"],
        "combine_s": duck["combine_s"],
        "review_s": duck["review_s"],
        "combine_review_s": duck["combine_review_s"],
        "ratio_vs_plain_join": duck["ratio_vs_plain_join"],
        "goal": GOAL,
        "criteria": {"k": CRITERIA_K, "suppression": CRITERIA_SUPPRESSION},
        "generate_s": combined["generate_s"],
        "load_average_at_start": combined["load_average_at_start"],
        "duckdb": duck,
    }
    if "spark" in combined:
        spark = combined["spark"]
        report |= {"spark_s": spark.get("spark_s"), "spark_rows": spark["rows"], "spark": spark}
        if spark["rows"] != combined["rows_per_export"]:
            spark["note"] = (
                f"Spark ran on {spark['rows']:,} rows per export, not {combined['rows_per_export']:,}"
            )
    report["machine"] = machine()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _print(report)


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table as Grid

    console = Console()
    if "adult_search_ms" in report:
        grid = Grid(title="Adult, k=5, 0% suppression")
        for column in ("", "ms", "checks"):
            grid.add_column(column, justify="left" if not column else "right")
        grid.add_row(
            "lattice search (median of 15)",
            f"{report['adult_search_ms']:,.1f}",
            str(report["adult_search_checks"]),
        )
        grid.add_row(
            "exhaustive (same run)",
            f"{report['adult_exhaustive_ms']:,.1f}",
            f"{report['adult_exhaustive_checks']:,}",
        )
        grid.add_row("ARX Flash (published, Java)", f"{ARX_FLASH_MS:,.1f}", "115")
        console.print(grid)
        console.print(
            f"levels {report['adult_levels']}; same optimum: {report['adult_same_optimum']}; goal ≤ 100 ms"
        )
    duck = report["duckdb"]
    grid = Grid(
        title=f"two exports of {report['rows_per_export']:,} rows, {report['shared_keys']:,} keys shared "
        f"(median of {duck['runs']})"
    )
    for column in ("", "seconds", "× plain join"):
        grid.add_column(column, justify="left" if not column else "right")
    plain = report["plain_duckdb_join_s"]
    grid.add_row("plain DuckDB join → Parquet", f"{plain:,.2f}", "1.00")
    for label, key in (
        ("link (agency.link, DuckDB)", "combine_s"),
        ("review (review.evaluate, DuckDB)", "review_s"),
        ("combination and review", "combine_review_s"),
    ):
        grid.add_row(label, f"{report[key]:,.2f}", f"{report[key] / plain:.2f}")
    spark = report.get("spark", {})
    if "spark_s" in spark:
        grid.add_row(
            f"Spark {spark['master']}: link + review ({spark['rows']:,} rows)",
            f"{spark['spark_s']:,.1f}",
            f"{spark['spark_s'] / plain:.1f}" if spark["rows"] == report["rows_per_export"] else "—",
        )
        grid.add_row("  Spark session start-up", f"{spark['session_start_s']:,.1f}", "")
    console.print(grid)
    if "skipped" in spark:
        console.print(f"Spark skipped: {spark['skipped']}")
    console.print(
        f"linked {report['linked']:,}; release {duck['review'].get('levels')}; "
        f"ratio {report['ratio_vs_plain_join']} (per run {duck['ratio_per_run']}) — goal ≤ {GOAL}; "
        f"load average at start {report['load_average_at_start']}, at the end {report['machine']['load_average']}"
    )
    console.print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
