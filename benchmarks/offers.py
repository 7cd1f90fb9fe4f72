"""`make bench-offers`: the monthly benefit run for 100,000 customers on PostgreSQL.

Data: a fresh platform database with 100,000 people who linked K bank, KT and Woori Card
through MyData — for each, the month's KT bill, its auto-pay from the K bank account (자동이체 of
the bill's amount), a salary deposit and eight Woori Card approvals (about 1.1 million records,
written with `INSERT … SELECT generate_series`, deterministic) — and 100,000 enrolments in the KT
discount plus 50,000 in the partnership savings.

Measured, in one run: ``offers.run_month`` for the month (time, customers/s, the process's
peak RSS growth), then the eligibility check of one customer (``offers_for``: their facts, every
rule's verdict, their enrolments and benefits) for 300 random customers (p50/p99). Baseline, same
run and data: one plain SQL aggregate computing the same facts for every enrolled customer (the
KT bill, whether a K bank 자동이체 of that amount paid it, Woori Card spending, salary at K bank).

    .venv/bin/python -m benchmarks.offers [--customers 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import time
from pathlib import Path
from typing import Any

from benchmarks.payments import Scratch

RESULTS = Path(__file__).parent / "results" / "offers.json"
KBANK, KT, WOORI_CARD = "KBNK000089", "KTTC000030", "WRCD000041"

DATA = """
INSERT INTO mydata_asset (subject, org_code, kind, key_digest, key_sealed, name, masked, status, balance,
                          detail, consent_id, first_seen, updated_at)
SELECT 'bench-' || g, org, kind, md5(org || g), 'sealed', name, '****', '01', 0, detail, 'consent-' || g, now(), now()
FROM generate_series(1, {customers}) g,
     (VALUES ('KBNK000089', 'deposit', '입출금통장', '{"account_type": "1001"}'),
             ('KTTC000030', 'telecom', '5G 요금제', '{}'),
             ('WRCD000041', 'card', '카드의정석', '{"card_type": "01"}')) AS a(org, kind, name, detail);
CREATE TEMP TABLE bill AS
SELECT g, 40000 + (g * 7919) % 50000 AS amount FROM generate_series(1, {customers}) g;
INSERT INTO mydata_record (asset_id, kind, at, amount, description, category, dedup_key, raw)
SELECT a.id, r.kind, r.at, r.amount, r.description, NULL, r.key, '{}'
FROM bill b
JOIN mydata_asset a ON a.subject = 'bench-' || b.g
CROSS JOIN LATERAL (
    SELECT 'telecom_bill', '{month}25', -b.amount, '통신 요금 청구', 'bill' WHERE a.org_code = 'KTTC000030'
    UNION ALL SELECT 'deposit_tx', '{month}25060000', -b.amount, '자동이체', 'auto' WHERE a.org_code = 'KBNK000089'
    UNION ALL SELECT 'deposit_tx', '{month}10083000', 3000000, '급여', 'pay' WHERE a.org_code = 'KBNK000089'
    UNION ALL SELECT 'approval', '{month}' || lpad((n + 1)::text, 2, '0') || '120000', -(5000 + (b.g * n * 131) % 60000),
                     '가맹점' || n, 'a' || n
              FROM generate_series(1, 8) n WHERE a.org_code = 'WRCD000041'
) AS r(kind, at, amount, description, key);
INSERT INTO offers_enrolment (subject, product, enrolled_at, first_month, opted_out_at)
SELECT 'bench-' || g, 'kt-bill-kbank', now(), '{month}', NULL::timestamptz FROM generate_series(1, {customers}) g
UNION ALL
SELECT 'bench-' || g, 'kbank-wooricard-savings', now(), '{month}', NULL::timestamptz FROM generate_series(1, {half}) g;
ANALYZE;
"""

BASELINE = """
SELECT a.subject,
       sum(-r.amount) FILTER (WHERE r.kind = 'telecom_bill' AND a.org_code = 'KTTC000030') AS kt_bill,
       sum(-r.amount) FILTER (WHERE r.kind = 'approval' AND a.org_code = 'WRCD000041') AS card,
       sum(r.amount) FILTER (WHERE r.kind = 'deposit_tx' AND r.amount > 0 AND r.description LIKE '%급여%'
                             AND a.org_code = 'KBNK000089') AS salary,
       array_agg(-r.amount) FILTER (WHERE r.kind = 'deposit_tx' AND r.description = '자동이체'
                                    AND a.org_code = 'KBNK000089') AS autopay
FROM offers_enrolment e
JOIN mydata_asset a ON a.subject = e.subject
JOIN mydata_record r ON r.asset_id = a.id AND r.at >= $1 AND r.at < $2
WHERE e.opted_out_at IS NULL AND e.first_month <= $3
GROUP BY a.subject
"""


def _month() -> str:
    from samgak.kit.timeutil import today_kst
    from samgak.offers.service import month_key

    return month_key(today_kst(), 1)


async def _load(url: str, customers: int, month: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        text = (
            DATA.replace("{month}", month)
            .replace("{customers}", str(customers))
            .replace("{half}", str(customers // 2))
        )
        for statement in text.split(";"):
            if statement.strip():
                await connection.execute(statement)
    finally:
        await connection.close()


async def _baseline(url: str, month: str) -> dict[str, Any]:
    import asyncpg

    from samgak.mydata.facts import _next_month

    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        started = time.perf_counter()
        rows = await connection.fetch(BASELINE, f"{month}01", f"{_next_month(month)}01", month)
        elapsed = time.perf_counter() - started
    finally:
        await connection.close()
    return {"customers": len(rows), "seconds": elapsed, "customers_per_s": len(rows) / elapsed}


async def _run(url: str, month: str) -> dict[str, Any]:
    from samgak.kit.db import Database
    from samgak.offers import run_month

    database = Database(url)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        started = time.perf_counter()
        report = await run_month(database, month)
        elapsed = time.perf_counter() - started
    finally:
        await database.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "enrolments": report.enrolments,
        "computed": report.computed,
        "won": report.won,
        "seconds": elapsed,
        "enrolments_per_s": report.enrolments / elapsed,
        "peak_rss_mb": peak / 1024,
        "rss_growth_mb": (peak - before) / 1024,
    }


async def _eligibility(url: str, customers: int, samples: int) -> dict[str, Any]:
    from samgak.kit.db import Database
    from samgak.offers.service import offers_for

    database = Database(url)
    rng = random.Random(5)
    latencies = []
    try:
        for _ in range(samples):
            subject = f"bench-{rng.randrange(1, customers + 1)}"
            started = time.perf_counter()
            found = await offers_for(database, subject)
            latencies.append(time.perf_counter() - started)
            assert found
    finally:
        await database.dispose()
    latencies.sort()
    return {
        "samples": samples,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()

    from samgak.app import migrations_path
    from samgak.kit.migrate import upgrade

    month = _month()
    scratch = Scratch("offers")
    try:
        upgrade(migrations_path("platform"), scratch.url)
        started = time.perf_counter()
        asyncio.run(_load(scratch.url, args.customers, month))
        print(
            f"loaded {args.customers:,} customers' month in {time.perf_counter() - started:.1f} s", flush=True
        )
        baseline = asyncio.run(_baseline(scratch.url, month))
        print(f"plain SQL aggregate: {baseline['customers_per_s']:,.0f} customers/s", flush=True)
        run = asyncio.run(_run(scratch.url, month))
        print(f"benefit run: {run['enrolments_per_s']:,.0f} enrolments/s", flush=True)
        eligibility = asyncio.run(_eligibility(scratch.url, args.customers, args.samples))
    finally:
        scratch.drop()
    report = {
        "month": month,
        "customers": args.customers,
        "run_seconds": round(run["seconds"], 2),
        "run_enrolments_per_s": round(run["enrolments_per_s"], 1),
        "run_customers_per_s": round(args.customers / run["seconds"], 1),
        "run_peak_rss_mb": round(run["peak_rss_mb"], 1),
        "run_rss_growth_mb": round(run["rss_growth_mb"], 1),
        "eligibility_p50_ms": round(eligibility["p50_ms"], 2),
        "eligibility_p99_ms": round(eligibility["p99_ms"], 2),
        "baseline_sql_seconds": round(baseline["seconds"], 2),
        "baseline_sql_customers_per_s": round(baseline["customers_per_s"], 1),
        "run_vs_sql": round(baseline["seconds"] / run["seconds"], 3),
        "runs": {"run": run, "baseline": baseline, "eligibility": eligibility},
        "machine": {
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(f"{'':34}{'seconds':>10}{'customers/s':>14}")
    print(
        f"{'plain SQL aggregate (facts only)':34}{report['baseline_sql_seconds']:>10,.2f}{report['baseline_sql_customers_per_s']:>14,.0f}"
    )
    print(
        f"{'benefit run (facts, rules, ledger)':34}{report['run_seconds']:>10,.2f}{report['run_customers_per_s']:>14,.0f}"
    )
    print(
        f"  {run['enrolments']:,} enrolments, {run['computed']:,} benefits, {run['won']:,}원; "
        f"peak RSS {report['run_peak_rss_mb']:.0f} MB (+{report['run_rss_growth_mb']:.0f} MB)"
    )
    print(
        f"eligibility of one customer: p50 {report['eligibility_p50_ms']:.1f} ms, p99 {report['eligibility_p99_ms']:.1f} ms"
    )
    print(f"wrote {RESULTS.relative_to(Path(__file__).parent.parent)}")


if __name__ == "__main__":
    main()
