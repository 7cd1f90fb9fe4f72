"""`make bench-payments`: the ledger core on PostgreSQL against pgbench running the bare SQL.

Ledger core: 16 concurrent clients (asyncio tasks, one process), each posting payments through
``samgak.ledger.post`` — idempotency key, balanced legs checked, a customer account that keeps
its balance row, the merchant's payable and the fee account that only record — one unit of work
per payment. Uniform: the merchant drawn from 100; hot: every payment to one merchant.

Baseline, same run, same server: pgbench with 16 clients running the reference's bare payment
transaction (``shared/reference/ledger-and-performance.md`` §10: insert the transfer, update both
balance rows, insert two journal rows), uniform (customer → customer) and hot (one merchant row).

Full HTTP path: the whole platform in one uvicorn process (pinned to one CPU; the driver to the
other) on PostgreSQL, members mounted as in the demo, so the platform reaches the bank over
loopback HTTP. 16 signed-in payers (synthetic people the banks know, each with a passkey) each
approve their share of payment requests: ``POST /pay/{id}/approve`` — receipt verified, account
checked at the bank (잔액조회), payment moved RCVD → ACTC → ACSP, withdrawal written, 출금이체
at the bank, ACSC with the ledger posting and the outbox event. The payment requests and the
passkey step-ups (the merchant's and the customer's device's part) are made beforehand and not
timed. Uniform: 100 merchants; hot: one.

Results: ``benchmarks/results/payments.json``.

    .venv/bin/python -m benchmarks.payments [--seconds 10] [--clients 16] [--per-client 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

RESULTS = Path(__file__).parent / "results" / "payments.json"
PG_URL = os.environ.get("SAMGAK_BENCH_DATABASE_URL", "postgresql+asyncpg://root@127.0.0.1:5432/postgres")
CUSTOMERS = 100_000
MERCHANTS = 100
FEE_RATE = 0.025

PGBENCH_SCHEMA = """
DROP TABLE IF EXISTS journal_entries, transfers, accounts;
CREATE TABLE accounts (
  id bigint PRIMARY KEY, kind text NOT NULL, balance bigint NOT NULL,
  version bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);
CREATE TABLE transfers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, idempotency_key text NOT NULL UNIQUE,
  debit_account_id bigint NOT NULL REFERENCES accounts(id), credit_account_id bigint NOT NULL REFERENCES accounts(id),
  amount bigint NOT NULL CHECK (amount > 0), status text NOT NULL DEFAULT 'posted',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE journal_entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, transfer_id bigint NOT NULL REFERENCES transfers(id),
  account_id bigint NOT NULL REFERENCES accounts(id), amount bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON journal_entries(account_id, id);
INSERT INTO accounts(id, kind, balance)
  SELECT g, CASE WHEN g <= 100 THEN 'merchant' ELSE 'customer' END,
         CASE WHEN g <= 100 THEN 0 ELSE 1000000000000 END
  FROM generate_series(1, 100100) g;
VACUUM ANALYZE accounts;
"""
PGBENCH_PAYMENT = r"""
\set src random(101, 100100)
\set dst {dst}
\set amt random(1, 100000)
\set namt -1 * :amt
\set lo least(:src, :dst)
\set hi greatest(:src, :dst)
\set dlo (case when :lo = :src then -:amt else :amt end)
\set dhi (case when :hi = :src then -:amt else :amt end)
BEGIN;
INSERT INTO transfers (idempotency_key, debit_account_id, credit_account_id, amount) VALUES (gen_random_uuid()::text, :src, :dst, :amt) RETURNING id AS tid \gset
UPDATE accounts SET balance = balance + :dlo, version = version + 1, updated_at = now() WHERE id = :lo;
UPDATE accounts SET balance = balance + :dhi, version = version + 1, updated_at = now() WHERE id = :hi;
INSERT INTO journal_entries (transfer_id, account_id, amount) VALUES (:tid, :src, :namt), (:tid, :dst, :amt);
COMMIT;
"""


def _libpq(url: str, database: str) -> str:
    parsed = make_url(url)
    return (
        f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"user={parsed.username or 'postgres'} dbname={database}"
    )


class Scratch:
    """A database of its own for one run, dropped afterwards."""

    def __init__(self, label: str) -> None:
        import psycopg

        self.name = f"samgak_bench_{label}_{uuid.uuid4().hex[:6]}"
        self.admin = _libpq(PG_URL, make_url(PG_URL).database or "postgres")
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = make_url(PG_URL).set(database=self.name).render_as_string(hide_password=False)
        self.libpq = _libpq(PG_URL, self.name)

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --------------------------------------------------------------------------- ledger core


async def _open_chart(url: str) -> None:
    """100,000 customer accounts that keep a balance, 100 merchant payables and fees that record."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    await connection.execute(
        "INSERT INTO ledger_account (code, kind, currency, recording, balance, version, created_at) "
        "SELECT 'customer:' || g, 'asset', 'KRW', false, 0, 0, now() FROM generate_series(1, $1) g",
        CUSTOMERS,
    )
    await connection.execute(
        "INSERT INTO ledger_account (code, kind, currency, recording, balance, version, created_at) "
        "SELECT 'payable:' || g, 'liability', 'KRW', true, 0, 0, now() FROM generate_series(1, $1) g "
        "UNION ALL SELECT 'fees', 'revenue', 'KRW', true, 0, 0, now()",
        MERCHANTS,
    )
    await connection.execute("VACUUM ANALYZE ledger_account")
    await connection.close()


async def _core(url: str, *, hot: bool, clients: int, seconds: float) -> dict[str, Any]:
    from samgak import ledger
    from samgak.kit.db import Database

    database = Database(url, pool_size=clients)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            amount = rng.randrange(1_000, 1_000_000)
            fee = int(amount * FEE_RATE)
            merchant = 1 if hot else rng.randrange(1, MERCHANTS + 1)
            transfer = ledger.Transfer(
                f"pay-{uuid.uuid4().hex}",
                "payment",
                (
                    ledger.Leg(f"customer:{rng.randrange(1, CUSTOMERS + 1)}", -amount),
                    ledger.Leg(f"payable:{merchant}", amount - fee),
                    ledger.Leg("fees", fee),
                ),
            )
            started = time.perf_counter()
            async with database.unit_of_work() as session:
                await ledger.post(session, transfer)
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - began
    async with database.read_sessions() as session:
        reconciled = (await ledger.reconcile(session)).ok
    await database.dispose()
    latencies.sort()
    return {
        "payments": len(latencies),
        "tps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "reconciled": reconciled,
    }


# --------------------------------------------------------------------------- pgbench


def _pgbench(scratch: Scratch, *, hot: bool, clients: int, seconds: float, folder: Path) -> dict[str, Any]:
    script = folder / ("payment_hot.sql" if hot else "payment_uniform.sql")
    script.write_text(PGBENCH_PAYMENT.format(dst="1" if hot else "random(101, 100100)"))
    parsed = make_url(PG_URL)
    subprocess.run(["psql", scratch.libpq, "-q", "-c", "CHECKPOINT"], check=True, capture_output=True)
    out = subprocess.run(
        [
            "pgbench",
            "-h",
            parsed.host or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            "-M",
            "prepared",
            "-n",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(int(seconds)),
            "-f",
            str(script),
            scratch.name,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)[1])  # type: ignore[index]
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    return {"tps": tps, "latency_avg_ms": float(latency[1]) if latency else None}


# --------------------------------------------------------------------------- full HTTP path


def _payers(clients: int, customers: int) -> list[tuple[Any, str, str]]:
    """``clients`` synthetic people with a demand deposit (person, org code, account number)."""
    from benchmarks.holder import SEED
    from samgak.institution.core.synthetic import SyntheticAlliance
    from samgak.kit.timeutil import today_kst

    alliance = SyntheticAlliance(SEED, today_kst(), 5)
    found = []
    for index in range(customers):
        person = alliance.person(index)
        held = alliance.holdings(person)
        for slug, org_code in (("woori-bank", "WRBK000020"), ("k-bank", "KBNK000089")):
            demand = [
                s for s in held.get(slug, []) if s.kind == "deposit" and s.detail["saving_method"] == "01"
            ]
            if demand:
                found.append((person, org_code, demand[0].asset_key))
                break
        if len(found) == clients:
            return found
    raise LookupError("not enough people with a demand deposit")


async def _onboard_merchants(settings: Any, payers: list[tuple[Any, str, str]]) -> list[tuple[str, str, str]]:
    """``MERCHANTS`` merchants (id, API key, payee) settling to real demand accounts."""
    from samgak import payments
    from samgak.kit.db import Database

    database = Database(settings.database_url)
    merchants = []
    numbers = (
        f"{n:010d}" for n in range(1_100_000_000, 1_200_000_000) if payments.valid_business_no(f"{n:010d}")
    )
    try:
        for n in range(MERCHANTS):
            owner, org_code, account = payers[n % len(payers)]
            create = payments.MerchantCreate(
                f"벤치가맹점{n}", next(numbers), "5499", org_code, account, owner.name, 250
            )
            merchant_id, key = await payments.onboard(database, payments.sealer_of(settings), create)
            merchants.append((merchant_id, key, f"벤치가맹점{n} ({merchant_id})"))
    finally:
        await database.dispose()
    return merchants


async def _prepare(
    base: str,
    jars: list[dict[str, str]],
    authenticators: list[Any],
    payers: list[tuple[Any, str, str]],
    merchants: list[tuple[str, str, str]],
    *,
    hot: bool,
    per_client: int,
) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per payer: payment requests and their step-up receipts (payment id, approve body)."""
    import httpx

    rng = random.Random(7 if hot else 8)

    async def one_payer(
        jar: dict[str, str], payer: tuple[Any, str, str], authenticator: Any
    ) -> list[tuple[str, dict[str, Any]]]:
        _, org_code, account = payer
        prepared = []
        async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=30) as client:
            for _ in range(per_client):
                _, key, payee = merchants[0] if hot else rng.choice(merchants)
                amount = rng.randrange(1_000, 20_000)
                created = await client.post(
                    "/api/payments/v1/payments",
                    json={"order_id": uuid.uuid4().hex[:16], "amount": amount},
                    headers={"Authorization": f"Bearer {key}", "x-idempotency-key": uuid.uuid4().hex},
                )
                payment_id = created.json()["payment_id"]
                shown = {"amount": amount, "payee": payee, "reference": payment_id}
                started = (await client.post("/id/step-up/options", json=shown)).json()
                credential = authenticator.get(started["options"])
                signed = await client.post(
                    "/id/step-up",
                    json=shown | {"challenge_id": started["challenge_id"], "credential": credential},
                )
                body = {
                    "account": "other",
                    "org_code": org_code,
                    "account_num": account,
                    "receipt": signed.json()["receipt"],
                }
                prepared.append((payment_id, body))
        return prepared

    return list(
        await asyncio.gather(
            *(one_payer(j, p, a) for j, p, a in zip(jars, payers, authenticators, strict=True))
        )
    )


async def _enrol(base: str, jars: list[dict[str, str]]) -> list[Any]:
    """A passkey for each payer (a software authenticator, as the tests use)."""
    import httpx
    from tests.identity.softauthn import SoftAuthenticator

    authenticators = []
    for jar in jars:
        authenticator = SoftAuthenticator()
        async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=30) as client:
            options = (await client.post("/id/passkeys/register/options")).json()
            credential = authenticator.create(options["options"])
            enrolled = await client.post(
                "/id/passkeys/register",
                json={"challenge_id": options["challenge_id"], "credential": credential},
            )
            if enrolled.status_code != 201:
                raise RuntimeError(enrolled.text)
        authenticators.append(authenticator)
    return authenticators


async def _approve(
    base: str, jars: list[dict[str, str]], prepared: list[list[tuple[str, dict[str, Any]]]]
) -> dict[str, Any]:
    """The timed phase: each payer approves its payments one after another."""
    import httpx

    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def one_payer(jar: dict[str, str], mine: list[tuple[str, dict[str, Any]]]) -> None:
        async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=60) as client:
            for payment_id, body in mine:
                started = time.perf_counter()
                answer = await client.post(f"/pay/{payment_id}/approve", json=body)
                latencies.append(time.perf_counter() - started)
                status = (
                    answer.json()["status"] if answer.status_code == 200 else f"http {answer.status_code}"
                )
                statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(one_payer(j, m) for j, m in zip(jars, prepared, strict=True)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "payments": statuses.get("ACSC", 0),
        "statuses": statuses,
        "tps": statuses.get("ACSC", 0) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def _e2e(folder: Path, clients: int, per_client: int) -> dict[str, Any]:
    from benchmarks.holder import Backend, free_port
    from benchmarks.identity import DRIVER_CPU, sign_in_people, start_ours, stop, wait_for

    backend = Backend("postgres", folder, label="-payments")
    server = None
    results: dict[str, Any] = {}
    try:
        customers = 400
        backend.migrate_and_seed(customers)
        port = free_port()
        settings = backend.settings(port)
        payers = _payers(clients, customers)
        log = folder / "server.log"
        server = start_ours(backend, port, log, {"SAMGAK_PAYMENTS__WEBHOOK_SECONDS": "0"})
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/api/directory/orgs", server, log)
        merchants = asyncio.run(_onboard_merchants(settings, payers))
        jars = asyncio.run(sign_in_people(settings, None, [person for person, _, _ in payers]))
        authenticators = asyncio.run(_enrol(base, jars))
        if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {int(DRIVER_CPU)})
        for mode, hot in (("uniform", False), ("hot", True)):
            prepared = asyncio.run(
                _prepare(base, jars, authenticators, payers, merchants, hot=hot, per_client=per_client)
            )
            backend.settle()
            results[mode] = asyncio.run(_approve(base, jars, prepared))
            print(
                f"full path {mode}: {results[mode]['tps']:,.1f} payments/s, p50 {results[mode]['p50_ms']:.0f} ms, "
                f"p99 {results[mode]['p99_ms']:.0f} ms {results[mode]['statuses']}",
                flush=True,
            )
        results["reconciled"] = asyncio.run(_ledger_ok(settings))
    finally:
        stop(server)
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        backend.close()
    return results


async def _ledger_ok(settings: Any) -> bool:
    from samgak import ledger
    from samgak.kit.db import Database

    database = Database(settings.database_url)
    try:
        async with database.read_sessions() as session:
            return (await ledger.reconcile(session)).ok
    finally:
        await database.dispose()


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=40, help="payments each payer approves (full path)")
    parser.add_argument("--e2e-only", action="store_true", help="only the full path; print, write nothing")
    args = parser.parse_args()
    if args.e2e_only:
        with tempfile.TemporaryDirectory(prefix="samgak-bench-payments-") as tmp:
            print(json.dumps(_e2e(Path(tmp), args.clients, args.per_client), indent=1))
        return
    if shutil.which("pgbench") is None:
        sys.exit("bench-payments needs pgbench (Debian: postgresql-client)")

    from samgak.app import migrations_path
    from samgak.kit.migrate import upgrade

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="samgak-bench-payments-") as tmp:
        folder = Path(tmp)
        bare = Scratch("pgbench")
        try:
            schema = folder / "schema.sql"
            schema.write_text(PGBENCH_SCHEMA)
            subprocess.run(["psql", bare.libpq, "-q", "-f", str(schema)], check=True, capture_output=True)
            for mode, hot in (("uniform", False), ("hot", True)):
                results[f"pgbench_{mode}"] = _pgbench(
                    bare, hot=hot, clients=args.clients, seconds=args.seconds, folder=folder
                )
                print(f"pgbench {mode}: {results[f'pgbench_{mode}']['tps']:,.0f} tps", flush=True)
        finally:
            bare.drop()
        for mode, hot in (("uniform", False), ("hot", True)):
            ours = Scratch("ledger")
            try:
                upgrade(migrations_path("platform"), ours.url)
                asyncio.run(_open_chart(ours.url))
                subprocess.run(
                    ["psql", ours.libpq, "-q", "-c", "CHECKPOINT"], check=True, capture_output=True
                )
                results[f"core_{mode}"] = asyncio.run(
                    _core(ours.url, hot=hot, clients=args.clients, seconds=args.seconds)
                )
                print(f"ledger core {mode}: {results[f'core_{mode}']['tps']:,.0f} payments/s", flush=True)
            finally:
                ours.drop()
        results["e2e"] = _e2e(folder, args.clients, args.per_client)

    e2e = results["e2e"]
    report = {
        "core_uniform_tps": round(results["core_uniform"]["tps"], 1),
        "core_hot_tps": round(results["core_hot"]["tps"], 1),
        "pgbench_uniform_tps": round(results["pgbench_uniform"]["tps"], 1),
        "pgbench_hot_tps": round(results["pgbench_hot"]["tps"], 1),
        "core_vs_pgbench_uniform": round(
            results["core_uniform"]["tps"] / results["pgbench_uniform"]["tps"], 3
        ),
        "core_hot_vs_uniform": round(results["core_hot"]["tps"] / results["core_uniform"]["tps"], 3),
        "e2e_uniform_tps": round(e2e["uniform"]["tps"], 1),
        "e2e_hot_tps": round(e2e["hot"]["tps"], 1),
        "e2e_p50_ms": round(max(e2e["uniform"]["p50_ms"], e2e["hot"]["p50_ms"]), 1),
        "e2e_p99_ms": round(max(e2e["uniform"]["p99_ms"], e2e["hot"]["p99_ms"]), 1),
        "runs": results,
        "clients": args.clients,
        "seconds": args.seconds,
        "machine": {
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(f"{'':24}{'uniform':>12}{'hot merchant':>14}")
    print(
        f"{'pgbench (bare SQL)':24}{report['pgbench_uniform_tps']:>12,.0f}{report['pgbench_hot_tps']:>14,.0f}"
    )
    print(f"{'ledger core':24}{report['core_uniform_tps']:>12,.0f}{report['core_hot_tps']:>14,.0f}")
    print(f"{'full HTTP path':24}{report['e2e_uniform_tps']:>12,.1f}{report['e2e_hot_tps']:>14,.1f}")
    for mode in ("uniform", "hot"):
        run = results[f"core_{mode}"]
        print(
            f"  core {mode}: p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, reconciled {run['reconciled']}"
        )
    for mode in ("uniform", "hot"):
        run = e2e[mode]
        print(
            f"  full path {mode}: p50 {run['p50_ms']:.0f} ms, p99 {run['p99_ms']:.0f} ms, {run['statuses']}"
        )
    print(f"  ledger reconciled after the full path: {e2e['reconciled']}")
    print(
        f"\ncore / pgbench uniform {report['core_vs_pgbench_uniform']:.2f} (goal ≥ 0.50); "
        f"core hot / uniform {report['core_hot_vs_uniform']:.2f} (goal ≥ 0.80); full path {report['e2e_uniform_tps']:.0f}/s, p99 {report['e2e_p99_ms']:.0f} ms (goal ≥ 300/s, p99 < 100 ms); wrote {RESULTS.relative_to(Path(__file__).parent.parent)}"
    )


if __name__ == "__main__":
    main()
