"""`make bench-holder`: throughput and latency of two 100-item 정보제공 pages against two baselines.

Pages: 은행-004 (deposit transactions, POST) and 카드-008 (domestic card approvals, GET), both with
a valid token, on SQLite and on PostgreSQL. Baselines served by the same uvicorn process:

(a) ``/bench/raw-deposit`` and ``/bench/raw-card``: the same page SQL (``KeysetPage.by_id``) on a raw
    driver connection — an asyncpg pool of 16, or for SQLite one persistent ``sqlite3`` connection
    queried directly on the event loop (a sub-millisecond indexed read; no thread hop) — encoded with
    orjson: the practical limit of an endpoint that returns this page;
(b) ``/bench/bytes-deposit``: the real deposit page, pre-encoded bytes.

The server runs in a subprocess (uvicorn, uvloop + httptools, one worker); load comes from ``wrk``
(16 connections, one thread) when installed, else from an asyncio httpx client. Results go to
``benchmarks/results/holder.json``; ``ratio`` is the lowest real/raw throughput over pages and
databases.

    .venv/bin/python -m benchmarks.holder [--seconds 8] [--runs 3] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

RESULTS = Path(__file__).parent / "results" / "holder.json"
PG_URL = os.environ.get("SAMGAK_BENCH_DATABASE_URL", "postgresql+asyncpg://root@127.0.0.1:5432/postgres")
SEED = 20200820
CUSTOMERS = 2000
BIG_SEED_CUSTOMERS = 20000
SECRET = "bench-secret-key-for-samgak-holder"
BANK = ("woori-bank", "WRBK000020")
CARD = ("woori-card", "WRCD000041")
PAGE = 100
CONNECTIONS = 16
TRAN_ID = "BENCH0000000000000000001"
REDIRECT = "https://mydata.samgak.test/callback"
SCOPE = (
    "bank.list bank.deposit bank.loan card.list card.card card.point card.bill telecom.list telecom.mgmt "
    "transfer carrier"
)


# --------------------------------------------------------------------------- the served app


def bench_app() -> Any:
    """uvicorn factory: the real app (settings from ``SAMGAK_*``) plus the baseline routes."""
    from samgak.app import create_app
    from samgak.config import Settings
    from samgak.institution.info.params import FIRST_PAGE
    from samgak.institution.info.repository import CARD_DOMESTIC_PAGE, DEPOSIT_TX_PAGE

    settings = Settings()
    app = create_app(settings)
    bank = settings.member(BANK[0])
    card = settings.member(CARD[0])
    bank_url = settings.institution_database_url(bank)
    card_url = settings.institution_database_url(card)
    postgres = bank_url.startswith("postgresql")
    state: dict[str, Any] = {"bytes": b"{}"}
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> Any:
        async with original(application):
            if postgres:
                import asyncpg

                state["bank"] = await asyncpg.create_pool(_asyncpg_dsn(bank_url), min_size=16, max_size=16)
                state["card"] = await asyncpg.create_pool(_asyncpg_dsn(card_url), min_size=16, max_size=16)
            else:
                state["bank"] = sqlite3.connect(_sqlite_path(bank_url), check_same_thread=False)
                state["card"] = sqlite3.connect(_sqlite_path(card_url), check_same_thread=False)
            try:
                yield
            finally:
                if postgres:
                    await state["bank"].close()
                    await state["card"].close()
                else:
                    state["bank"].close()
                    state["card"].close()

    app.router.lifespan_context = lifespan

    async def fetch(which: str, query: Any, params: dict[str, Any]) -> list[Any]:
        args = [params[name] for name in query.names]
        if postgres:
            async with state[which].acquire() as connection:
                return list(await connection.fetch(query.postgres_sql, *args))
        return state[which].execute(query.sqlite_sql, args).fetchall()

    def window_params(asset_id: int, from_date: str, to_date: str) -> dict[str, Any]:
        return {
            "asset_id": asset_id,
            "from_dtime": from_date + "000000",
            "to_dtime": to_date + "235959",
            "after_dtime": FIRST_PAGE[0],
            "after_id": int(FIRST_PAGE[1]),
            "limit": PAGE + 1,
        }

    # The baselines live on a sub-application of their own, mounted like a member's deployable, so
    # both sides pay the same framework path (Mount + one FastAPI app) and differ only by our code.
    baseline = FastAPI()
    app.mount("/bench", baseline)

    @baseline.get("/ping")
    async def ping() -> Response:
        return Response(b"ok")

    @baseline.post("/raw-deposit")
    async def raw_deposit(request: Request) -> Response:
        body = orjson.loads(await request.body())
        rows = await fetch(
            "bank",
            DEPOSIT_TX_PAGE.by_id,
            window_params(int(body["asset_id"]), body["from_date"], body["to_date"]),
        )
        currency = body.get("currency_code", "KRW")
        trans = [
            {
                "trans_dtime": r[0],
                "trans_no": r[1],
                "trans_type": r[2],
                "trans_class": r[3],
                "currency_code": currency,
                "trans_amt": str(r[4]),
                "balance_amt": str(r[5]),
                "trans_memo": r[6],
            }
            for r in rows[:PAGE]
        ]
        page = {"rsp_code": "00000", "rsp_msg": "성공", "trans_cnt": str(len(trans)), "trans_list": trans}
        if len(rows) > PAGE:
            page["next_page"] = f"{rows[PAGE - 1][0]}|{rows[PAGE - 1][7]}"
        return Response(orjson.dumps(page), media_type="application/json")

    @baseline.get("/raw-card")
    async def raw_card(asset_id: int, from_date: str, to_date: str) -> Response:
        rows = await fetch("card", CARD_DOMESTIC_PAGE.by_id, window_params(asset_id, from_date, to_date))
        approved = []
        for r in rows[:PAGE]:
            item = {
                "approved_num": r[1],
                "status": r[2],
                "pay_type": r[3],
                "approved_dtime": r[0],
                "trans_dtime": r[4],
                "merchant_name": r[5],
                "merchant_regno": r[6],
                "approved_amt": str(r[7]),
                "modified_amt": None if r[8] is None else str(r[8]),
                "total_install_cnt": None if r[9] is None else str(r[9]),
            }
            approved.append({k: v for k, v in item.items() if v is not None})
        page = {
            "rsp_code": "00000",
            "rsp_msg": "성공",
            "approved_cnt": str(len(approved)),
            "approved_list": approved,
        }
        if len(rows) > PAGE:
            page["next_page"] = f"{rows[PAGE - 1][0]}|{rows[PAGE - 1][13]}"
        return Response(orjson.dumps(page), media_type="application/json")

    @baseline.post("/store-bytes")
    async def store_bytes(request: Request) -> Response:
        state["bytes"] = await request.body()
        return Response(b"ok")

    @baseline.get("/bytes-deposit")
    async def bytes_deposit() -> Response:
        return Response(state["bytes"], media_type="application/json")

    return app


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


# --------------------------------------------------------------------------- setup


def _pg_admin() -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(PG_URL)
    return f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} user={parsed.username or 'postgres'} dbname={parsed.database or 'postgres'}"


class Backend:
    """Fresh platform + member databases for one database kind; dropped/removed by ``close``."""

    NAMES = ("platform", "woori_bank", "k_bank", "woori_card", "bc_card", "kt")

    def __init__(self, kind: str, folder: Path, label: str = "") -> None:
        self.kind = kind
        self.created: list[str] = []
        if kind == "postgres":
            import psycopg
            from sqlalchemy.engine import make_url

            run = uuid.uuid4().hex[:8]
            with psycopg.connect(_pg_admin(), autocommit=True) as conn:
                for name in self.NAMES:
                    conn.execute(f'CREATE DATABASE "samgak_bench_{run}_{name}"')
                    self.created.append(f"samgak_bench_{run}_{name}")
            base = make_url(PG_URL)
            self.platform_url = base.set(database=f"samgak_bench_{run}_platform").render_as_string(
                hide_password=False
            )
            self.member_url = (
                base.set(database=f"samgak_bench_{run}_SLUG")
                .render_as_string(hide_password=False)
                .replace("SLUG", "{slug}")
            )
        else:
            sub = folder / f"sqlite{label}"
            sub.mkdir(parents=True, exist_ok=True)
            self.sqlite_dir = sub
            self.platform_url = f"sqlite+aiosqlite:///{sub}/platform.db"
            self.member_url = f"sqlite+aiosqlite:///{sub}/institution-{{slug}}.db"

    def settings(self, port: int = 0) -> Any:
        from samgak.config import CoreSettings, InstitutionSettings, Settings
        from samgak.kit.timeutil import today_kst

        return Settings(
            env="test",
            database_url=self.platform_url,
            public_base_url=f"http://127.0.0.1:{port}",
            secret_key=SECRET,
            institution=InstitutionSettings(
                database_url=self.member_url, rate_limit_per_second=1e6, rate_limit_burst=1e6
            ),
            core=CoreSettings(seed=SEED, as_of=today_kst()),
        )

    def env(self, port: int) -> dict[str, str]:
        return os.environ | {
            "SAMGAK_ENV": "test",
            "SAMGAK_DATABASE_URL": self.platform_url,
            "SAMGAK_INSTITUTION__DATABASE_URL": self.member_url,
            "SAMGAK_SECRET_KEY": SECRET,
            "SAMGAK_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SAMGAK_CORE__SEED": str(SEED),
            "SAMGAK_INSTITUTION__RATE_LIMIT_PER_SECOND": "1000000",
            "SAMGAK_INSTITUTION__RATE_LIMIT_BURST": "1000000",
        }

    def settle(self) -> None:
        """Let the databases settle before timing: fresh statistics, no checkpoint pending."""
        if self.kind == "postgres":
            import psycopg

            admin = _pg_admin()
            for database in self.created:
                with psycopg.connect(
                    admin.rsplit("dbname=", 1)[0] + f"dbname={database}", autocommit=True
                ) as conn:
                    conn.execute("VACUUM ANALYZE")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CHECKPOINT")
        else:
            for database in self.sqlite_dir.glob("*.db"):
                with sqlite3.connect(database) as conn:
                    conn.execute("ANALYZE")
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        time.sleep(2)

    def migrate_and_seed(self, customers: int) -> float:
        """Migrate, then seed ``customers``; the seed's customers per second."""
        from samgak.app import migrations_path
        from samgak.institution.app import member_keys
        from samgak.institution.core.synthetic import seed_alliance
        from samgak.kit.migrate import upgrade
        from samgak.kit.timeutil import today_kst

        settings = self.settings()
        upgrade(migrations_path("platform"), settings.database_url)
        for member in settings.members:
            upgrade(migrations_path("institution"), settings.institution_database_url(member))
        started = time.perf_counter()
        seed_alliance(
            urls={m.slug: settings.institution_database_url(m) for m in settings.members},
            keys={m.slug: member_keys(settings, m) for m in settings.members},
            customers=customers,
            seed=SEED,
            as_of=today_kst(),
            years=5,
        )
        return customers / (time.perf_counter() - started)

    def register_service(self) -> tuple[str, str]:
        from samgak import directory
        from samgak.directory.schemas import ServiceCreate
        from samgak.kit.db import Database

        settings = self.settings()

        async def run() -> tuple[str, str]:
            db = Database(settings.database_url)
            try:
                async with db.unit_of_work() as session:
                    await directory.seed_alliance(session, settings)
                    service, secret = await directory.register_service(
                        session,
                        ServiceCreate(
                            org_code=directory.OPERATOR_ORG_CODE,
                            service_name="삼각 벤치마크",
                            redirect_uris=[REDIRECT],
                            scope=SCOPE,
                        ),
                    )
                return service.client_id, secret
            finally:
                await db.dispose()

        return asyncio.run(run())

    def asset_id(self, slug: str, asset_key: str) -> int:
        url = self.member_url.format(slug=slug.replace("-", "_"))
        sql = "SELECT id FROM core_asset WHERE asset_key = %s"
        if self.kind == "postgres":
            import psycopg
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            dsn = f"host={parsed.host} port={parsed.port or 5432} user={parsed.username} dbname={parsed.database}"
            with psycopg.connect(dsn) as conn:
                row = conn.execute(sql, (asset_key,)).fetchone()
        else:
            with sqlite3.connect(_sqlite_path(url)) as conn:
                row = conn.execute(sql.replace("%s", "?"), (asset_key,)).fetchone()
        assert row is not None, asset_key
        return int(row[0])

    def close(self) -> None:
        if self.created:
            import psycopg

            with psycopg.connect(_pg_admin(), autocommit=True) as conn:
                for name in self.created:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pick_people(customers: int) -> dict[str, Any]:
    """A woori-bank deposit with > 100 transactions and a woori-card card with > 100 domestic approvals
    in the last 12 months (window ends today, KST)."""
    from samgak.institution.core.synthetic import SyntheticAlliance
    from samgak.kit.timeutil import today_kst

    today = today_kst()
    first = today - timedelta(days=364)
    window = (f"{first:%Y%m%d}", f"{today:%Y%m%d}")
    lo, hi = window[0] + "000000", window[1] + "235959"
    alliance = SyntheticAlliance(SEED, today, 5)
    found: dict[str, Any] = {"window": window}
    for index in range(customers):
        person = alliance.person(index)
        held = alliance.holdings(person)
        if "bank" not in found:
            for spec in held.get(BANK[0], []):
                if spec.kind == "deposit" and spec.status in ("01", "03"):
                    tx = alliance.history(person, BANK[0], held).deposit_tx.get(spec.asset_key, [])
                    if sum(lo <= t[0] <= hi for t in tx) > PAGE:
                        found["bank"] = (person, spec)
                        break
        if "card" not in found:
            for spec in held.get(CARD[0], []):
                if spec.status not in ("01", "03"):
                    continue
                rows = alliance.history(person, CARD[0], held).card_approvals.get(spec.asset_key, [])
                n = sum(
                    1
                    for a in rows
                    if a.get("country_code") is None
                    and a["approved_dtime"] <= hi
                    and (a["approved_dtime"] >= lo or (a.get("trans_dtime") and lo <= a["trans_dtime"] <= hi))
                )
                if n > PAGE:
                    found["card"] = (person, spec)
                    break
        if "bank" in found and "card" in found:
            return found
    raise LookupError("no customer with a full page of deposits and card approvals")


def link(*args: Any) -> str:
    """``_link``, retried: a code exchange occasionally answers invalid_grant (reported, not hidden)."""
    for attempt in range(5):
        try:
            return _link(*args)
        except AssertionError as exc:
            print(f"link attempt {attempt + 1} failed: {exc}", flush=True)
    raise RuntimeError("개별인증 failed 5 times")


def _link(client: httpx.Client, client_id: str, secret: str, slug: str, org_code: str, person: Any) -> str:
    """개별인증 over HTTP: authorize → sign in → consent → code → token; the access token."""
    base = f"/inst/{slug}"
    client.cookies.clear()
    response = client.get(
        f"{base}/oauth/2.0/authorize",
        params={
            "org_code": org_code,
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": "st4te",
        },
        headers={"x-user-ci": person.ci, "x-api-tran-id": TRAN_ID},
    )
    assert response.status_code == 302, response.text
    page = urlparse(response.headers["location"]).path
    response = client.post(
        f"{page}/login",
        data={"phone": person.phone, "birth_date": f"{person.birth_date:%Y%m%d}", "pin": "000000"},
    )
    assert response.status_code == 303, response.text
    consent_page = client.get(page)
    assets = re.findall(r'name="asset" value="(\d+)"', consent_page.text)
    assert assets, (consent_page.status_code, consent_page.text[:1500])
    response = client.post(
        f"{page}/consent",
        data={
            "decision": "agree",
            "is_scheduled": "true",
            "cycle": "1/w",
            "trans_memo": "true",
            "merchant_regno": "true",
            "asset": assets,
            "scope": ["card.point", "card.bill"],
        },
    )
    assert response.status_code == 302, response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    response = client.post(
        f"{base}/oauth/2.0/token",
        data={
            "org_code": org_code,
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": REDIRECT,
        },
        headers={"x-api-tran-id": TRAN_ID},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


# --------------------------------------------------------------------------- load


class Target:
    def __init__(self, name: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> None:
        self.name, self.method, self.path, self.headers, self.body = name, method, path, headers, body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lua(target: Target) -> str:
    lines = [f'wrk.method = "{target.method}"']
    if target.body:
        lines.append(f"wrk.body = {json.dumps(target.body.decode())}")
    for key, value in target.headers.items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    return "\n".join(lines) + "\n"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert match, text
    return float(match[1]) * _UNITS[match[2]]


def run_wrk(base: str, target: Target, seconds: float, folder: Path) -> dict[str, float]:
    script = folder / f"{target.name}.lua"
    script.write_text(_lua(target))
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{int(seconds)}s",
            "--latency",
            "-s",
            str(script),
            base + target.path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        raise RuntimeError(f"{target.name}: failed requests\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out)[1])  # type: ignore[index]
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


async def _run_httpx(base: str, target: Target, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = await client.request(
                    target.method, target.path, headers=target.headers, content=target.body or None
                )
                if r.status_code != 200:
                    raise RuntimeError(f"{target.name}: {r.status_code} {r.text[:200]}")
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def measure_once(base: str, target: Target, seconds: float, folder: Path) -> dict[str, float]:
    if shutil.which("wrk"):
        return run_wrk(base, target, seconds, folder)
    return asyncio.run(_run_httpx(base, target, seconds))


def median_run(results: list[dict[str, float]]) -> dict[str, Any]:
    median = sorted(results, key=lambda r: r["rps"])[len(results) // 2]
    return median | {"runs_rps": [round(r["rps"], 1) for r in results]}


# --------------------------------------------------------------------------- one database


def bench_database(kind: str, folder: Path, seconds: float, runs: int) -> dict[str, Any]:
    backend = Backend(kind, folder)
    server: subprocess.Popen[bytes] | None = None
    try:
        seed_rate = backend.migrate_and_seed(CUSTOMERS)
        print(f"[{kind}] seeded {CUSTOMERS} customers at {seed_rate:.0f}/s", flush=True)
        client_id, secret = backend.register_service()
        people = pick_people(CUSTOMERS)
        window = people["window"]
        bank_person, bank_spec = people["bank"]
        card_person, card_spec = people["card"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(folder / f"server-{kind}.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks.holder:bench_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
            ],
            env=backend.env(port),
            cwd=Path(__file__).resolve().parent.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(300):
                try:
                    if client.get("/bench/ping").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None:
                    raise RuntimeError((folder / f"server-{kind}.log").read_text())
                time.sleep(0.1)
            bank_token = link(client, client_id, secret, *BANK, bank_person)
            card_token = link(client, client_id, secret, *CARD, card_person)

            def auth(token: str) -> dict[str, str]:
                return {
                    "Authorization": f"Bearer {token}",
                    "x-api-tran-id": TRAN_ID,
                    "x-api-type": "user-search",
                    "Content-Type": "application/json",
                }

            deposit_body = orjson.dumps(
                {
                    "org_code": BANK[1],
                    "account_num": bank_spec.asset_key,
                    "from_date": window[0],
                    "to_date": window[1],
                    "limit": str(PAGE),
                }
            )
            card_query = f"org_code={CARD[1]}&from_date={window[0]}&to_date={window[1]}&limit={PAGE}"
            targets = {
                "deposit": Target(
                    "deposit",
                    "POST",
                    "/inst/woori-bank/v1/bank/accounts/deposit/transactions",
                    auth(bank_token),
                    deposit_body,
                ),
                "card": Target(
                    "card",
                    "GET",
                    f"/inst/woori-card/v1/card/cards/{card_spec.asset_key}/approval-domestic?{card_query}",
                    auth(card_token),
                ),
            }
            # Warm up (materializes the history), then check every endpoint answers a full page.
            pages: dict[str, Any] = {}
            for name, target in targets.items():
                r = client.request(
                    target.method, target.path, headers=target.headers, content=target.body or None
                )
                assert r.status_code == 200, r.text
                pages[name] = r
            bank_asset = backend.asset_id(BANK[0], bank_spec.asset_key)
            card_asset = backend.asset_id(CARD[0], card_spec.asset_key)
            targets["raw_deposit"] = Target(
                "raw_deposit",
                "POST",
                "/bench/raw-deposit",
                {"Content-Type": "application/json"},
                orjson.dumps(
                    {
                        "asset_id": bank_asset,
                        "from_date": window[0],
                        "to_date": window[1],
                        "currency_code": bank_spec.detail.get("currency_code", "KRW"),
                    }
                ),
            )
            targets["raw_card"] = Target(
                "raw_card",
                "GET",
                f"/bench/raw-card?asset_id={card_asset}&from_date={window[0]}&to_date={window[1]}",
                {},
            )
            stored = client.post("/bench/store-bytes", content=pages["deposit"].content)
            assert stored.status_code == 200, stored.text
            targets["bytes_deposit"] = Target("bytes_deposit", "GET", "/bench/bytes-deposit", {})
            for name, target in targets.items():
                r = client.request(
                    target.method, target.path, headers=target.headers, content=target.body or None
                )
                assert r.status_code == 200, (name, r.text)
                body = r.json()
                count = body.get("trans_cnt", body.get("approved_cnt"))
                assert count == str(PAGE), (name, count)
                items = body.get("trans_list", body.get("approved_list"))
                assert len(items) == PAGE
                pages[name] = body
            # The baselines answer the same page as the real endpoints.
            assert pages["raw_deposit"]["trans_list"] == pages["deposit"]["trans_list"], (
                "raw deposit page differs"
            )
            assert [a["approved_num"] for a in pages["raw_card"]["approved_list"]] == [
                a["approved_num"] for a in pages["card"]["approved_list"]
            ], "raw card page differs"
        figures: dict[str, Any] = {"seed_customers_per_s": round(seed_rate, 1)}
        backend.settle()
        profile_with = os.environ.get("SAMGAK_BENCH_PYSPY")  # path to py-spy: profile the real pages
        results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        # Runs are interleaved (real, baseline, real, …) so drift on the machine hits both sides alike.
        for run in range(runs):
            for name, target in targets.items():
                spy = None
                if profile_with and run == 0 and name in ("deposit", "card"):
                    out = Path(tempfile.gettempdir()) / f"samgak-profile-{kind}-{name}.txt"
                    spy = subprocess.Popen(
                        [
                            profile_with,
                            "record",
                            "-d",
                            str(int(seconds)),
                            "-r",
                            "200",
                            "-f",
                            "raw",
                            "-o",
                            str(out),
                            "-p",
                            str(server.pid),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                results[name].append(measure_once(base, target, seconds, folder))
                if spy is not None:
                    spy.wait(30)
                    print(f"[{kind}] profile of {name}: {out}", flush=True)
        for name, measured in results.items():
            figures[name] = median_run(measured)
            print(f"[{kind}] {name}: {figures[name]}", flush=True)
        return figures
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        backend.close()


# --------------------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "load_generator": "wrk -t1" if shutil.which("wrk") else "httpx asyncio",
        "connections": CONNECTIONS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--big-seed", type=int, default=BIG_SEED_CUSTOMERS, help="customers for the seed-rate run (0: skip)"
    )
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]

    from rich.console import Console
    from rich.table import Table

    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="samgak-bench-") as tmp:
        folder = Path(tmp)
        big_rate = None
        if args.big_seed and "sqlite" in kinds:
            backend = Backend("sqlite", folder, "-big")
            big_rate = backend.migrate_and_seed(args.big_seed)
            print(f"[sqlite] seeded {args.big_seed} customers at {big_rate:.0f}/s", flush=True)
            shutil.rmtree(folder / "sqlite-big", ignore_errors=True)
        for kind in kinds:
            result = bench_database(kind, folder, args.seconds, args.runs)
            detail[kind] = result
            figures[kind] = {
                "deposit_rps": round(result["deposit"]["rps"], 1),
                "deposit_p50_ms": result["deposit"]["p50_ms"],
                "deposit_p99_ms": result["deposit"]["p99_ms"],
                "card_rps": round(result["card"]["rps"], 1),
                "card_p50_ms": result["card"]["p50_ms"],
                "card_p99_ms": result["card"]["p99_ms"],
                "seed_customers_per_s": result["seed_customers_per_s"],
                "seed_customers": CUSTOMERS,
            }
            if kind == "sqlite" and big_rate is not None:
                figures[kind]["seed_customers_per_s_20k"] = round(big_rate, 1)
                figures[kind]["seed_customers_big"] = args.big_seed
            baseline[kind] = {
                "raw_deposit_rps": round(result["raw_deposit"]["rps"], 1),
                "raw_deposit_p50_ms": result["raw_deposit"]["p50_ms"],
                "raw_deposit_p99_ms": result["raw_deposit"]["p99_ms"],
                "raw_card_rps": round(result["raw_card"]["rps"], 1),
                "raw_card_p50_ms": result["raw_card"]["p50_ms"],
                "raw_card_p99_ms": result["raw_card"]["p99_ms"],
                "bytes_rps": round(result["bytes_deposit"]["rps"], 1),
                "bytes_p50_ms": result["bytes_deposit"]["p50_ms"],
                "bytes_p99_ms": result["bytes_deposit"]["p99_ms"],
                "raw_driver": "asyncpg pool (16)"
                if kind == "postgres"
                else "sqlite3, one connection, on the loop",
            }
            ratios.append(result["deposit"]["rps"] / result["raw_deposit"]["rps"])
            ratios.append(result["card"]["rps"] / result["raw_card"]["rps"])

    table = Table(
        title=f"holder pages (100 items, {CONNECTIONS} connections, median of {args.runs} × {args.seconds:g}s)"
    )
    for column in ("database", "endpoint", "req/s", "p50 ms", "p99 ms", "% of raw (a)"):
        table.add_column(column, justify="right" if column not in ("database", "endpoint") else "left")
    for kind, result in detail.items():
        for name, raw in (
            ("deposit", "raw_deposit"),
            ("raw_deposit", "raw_deposit"),
            ("bytes_deposit", "raw_deposit"),
            ("card", "raw_card"),
            ("raw_card", "raw_card"),
        ):
            r = result[name]
            table.add_row(
                kind,
                name,
                f"{r['rps']:.0f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{100 * r['rps'] / result[raw]['rps']:.0f}%",
            )
    console = Console()
    console.print(table)
    for kind in detail:
        line = f"{kind}: seed {figures[kind]['seed_customers_per_s']:.0f} customers/s ({CUSTOMERS})"
        if "seed_customers_per_s_20k" in figures[kind]:
            line += f", {figures[kind]['seed_customers_per_s_20k']:.0f} customers/s ({figures[kind]['seed_customers_big']})"
        console.print(line)
    ratio = round(min(ratios), 3) if ratios else None
    console.print(f"ratio (lowest real / raw baseline (a)): {ratio}  — goal ≥ 0.70")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"figures": figures, "baseline": baseline, "ratio": ratio, "machine": machine(), "runs": detail},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    console.print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
