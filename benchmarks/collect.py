"""`make bench-collect`: the MyData collector's first full collection against the holders' own maximum.

Setup: N synthetic customers seeded at the five members; a registered operator service; for every
customer at every member they use, a consent over all their assets and a token, minted inside
the holder (the benchmark's stand-in for N people signing — linking itself is measured by
`make bench-identity`); the tokens go to the operator's vault.

The holders run as one uvicorn worker (loopback). Measured, each in its own process:

1. the collector (a collection run worked in one process, ``work_run``, 64 links at a time): a
   full 12-month first collection (``x-api-type: user-consent``) of every customer from every
   member they use — customers/s,
   holder API calls/s and peak RSS. A first pass warms the holders (their synthetic history is
   written on first read) and is discarded; the operator's tables are then emptied, so the
   measured pass is a first collection too. Run for N/10 customers as well: memory must stay flat.
2. the holders' maximum on the same calls: ``wrk`` replays the requests the measured pass made
   (same tokens, paths and bodies) with 32 connections for ``--seconds``, twice: in the
   collector's order and in random order; the higher rate is the holders' maximum.

``ratio`` = collector calls/s ÷ holders' maximum calls/s (goal ≥ 0.70). Results go to
``benchmarks/results/collect.json``.

    .venv/bin/python -m benchmarks.collect [--customers 10000] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from benchmarks.holder import SEED, Backend, free_port

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "collect.json"
CONCURRENCY = 32  # wrk's connections
ORDERS = ("sequential", "random")  # the replays; the higher is the holders' maximum
LINKS_AT_ONCE = 64  # the collector's links in flight


# --------------------------------------------------------------------------- setup


async def mint_links(
    settings: Any, client_id: str, customers: int, *, seed: int = SEED, prefix: str = "bench"
) -> int:
    """Consents and tokens at every holder for every customer there (alliance ``seed``); links
    in the vault, for subjects ``{prefix}-{index}``."""
    from samgak.directory import OPERATOR_ORG_CODE
    from samgak.institution.app import build_institution
    from samgak.institution.auth.consent import ConsentTerms, issue_tokens, scope_for, store_consent
    from samgak.institution.core.synthetic import SyntheticAlliance
    from samgak.institution.directory_client import RegisteredService
    from samgak.institution.repository import GatewayRepository
    from samgak.kit.db import Database
    from samgak.kit.timeutil import format_date, today_kst, utcnow
    from samgak.mydata import build_mydata
    from samgak.mydata.models import MydataLink

    alliance = SyntheticAlliance(seed, today_kst(), 5)
    people = [alliance.person(i) for i in range(customers)]
    service = RegisteredService(client_id, "", OPERATOR_ORG_CODE, "bench", (), frozenset())
    vault = build_mydata(settings, ca_url="http://127.0.0.1:9")
    platform_db = Database(settings.database_url)
    terms = ConsentTerms(
        is_scheduled=True,
        fnd_cycle="1/w",
        add_cycle="1/w",
        end_date=format_date(today_kst() + timedelta(days=300)),
        purpose="통합 자산관리",
        period=1,
        is_consent_trans_memo=True,
        is_consent_merchant_name_regno=True,
    )
    links = 0
    for member in settings.members:
        institution = build_institution(settings, member, directory=None, ca=None)  # type: ignore[arg-type]
        rows = []
        async with institution.db.unit_of_work() as session:
            repo = GatewayRepository(session)
            for index, person in enumerate(people):
                customer_id = await institution.core.customer_by_ci(session, person.ci)
                if customer_id is None:
                    continue
                assets = await repo.assets(customer_id, ("deposit", "loan", "card", "telecom"))
                scope = scope_for(institution, {a.kind for a in assets}, extra=("card.bill",))
                consent_id = await store_consent(
                    session,
                    customer_id=customer_id,
                    service=service,
                    terms=terms,
                    asset_ids=[a.id for a in assets],
                    scope=scope,
                )
                body = await issue_tokens(
                    session,
                    institution,
                    consent_id=consent_id,
                    customer_id=customer_id,
                    service=service,
                    scope=scope,
                )
                now = utcnow()
                rows.append(
                    MydataLink(
                        consent_id=f"{prefix.upper()}_{member.org_code}_{index}",
                        subject=f"{prefix}-{index}",
                        org_code=member.org_code,
                        scope=scope,
                        access_sealed=vault.sealer.seal(body["access_token"]),
                        refresh_sealed=None,
                        expires_at=now + timedelta(days=80),
                        linked_at=now,
                        collected_at=None,
                    )
                )
        await institution.db.dispose()
        await institution.reader.close()
        async with platform_db.unit_of_work() as session:
            session.add_all(rows)
        links += len(rows)
    await platform_db.dispose()
    await vault.close()
    return links


def empty_collected(platform_url: str) -> None:
    """Forget everything collected (the next pass is a first collection again)."""
    from sqlalchemy import create_engine, text

    from samgak.kit.db import sync_url

    engine = create_engine(sync_url(platform_url))
    with engine.begin() as connection:
        for table in ("mydata_record", "mydata_asset", "mydata_access_log", "mydata_job", "mydata_run"):
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


# --------------------------------------------------------------------------- the collector process


def run_collector(customers: int, calls_file: str | None) -> None:
    """Child process: collect ``customers`` (bench-0 …) and print one JSON line."""
    from sqlalchemy import select

    from samgak.app import ca_url
    from samgak.config import Settings
    from samgak.kit.db import Database
    from samgak.mydata import build_mydata, start_run, work_run
    from samgak.mydata.models import MydataJob, MydataLink

    settings = Settings()
    sink = open(calls_file, "w") if calls_file is not None else None  # noqa: SIM115 (streamed, not kept)
    calls = 0

    class Recording:
        """The holder's sender, counting (and for the replay, recording) every request."""

        def __init__(self, inner: Any, prefix: str) -> None:
            self.inner, self.prefix = inner, prefix

        async def request(self, method: str, path: str, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if sink is not None:
                query = f"?{urlencode(kwargs['params'])}" if kwargs.get("params") else ""
                body = json.dumps(kwargs["json"], ensure_ascii=False) if kwargs.get("json") else ""
                auth = kwargs["headers"].get("Authorization", "")
                sink.write("\t".join((method, self.prefix + path + query, auth, body)) + "\n")
            return await self.inner.request(method, path, **kwargs)

        async def aclose(self) -> None:
            await self.inner.aclose()

    async def main() -> dict[str, Any]:
        mydata = build_mydata(settings, ca_url=ca_url(settings))
        mydata.set_credentials(os.environ["BENCH_CLIENT_ID"], os.environ["BENCH_CLIENT_SECRET"])
        for holder in mydata.holders.values():
            prefix = urlparse(settings.institution_base_url(holder.member)).path
            holder.client.http = Recording(holder.client.http, prefix)
        database = Database(settings.database_url)
        wanted = {f"bench-{i}" for i in range(customers)}
        async with database.read_sessions() as session:
            rows = await session.execute(select(MydataLink.consent_id, MydataLink.subject))
            links = [consent_id for consent_id, subject in rows if subject in wanted]
        run_id = await start_run(database, links, api_type="user-consent", origin="bench")
        started = time.perf_counter()
        await work_run(database, mydata, run_id, concurrency=LINKS_AT_ONCE)
        elapsed = time.perf_counter() - started
        async with database.read_sessions() as session:
            failed = [
                job.outcome or ""
                for job in await session.scalars(
                    select(MydataJob).where(MydataJob.run_id == run_id, MydataJob.state == "failed")
                )
            ]
        await database.dispose()
        await mydata.close()
        return {
            "customers": customers,
            "seconds": elapsed,
            "customers_per_s": customers / elapsed,
            "calls": calls,
            "calls_per_s": calls / elapsed,
            "failed_holders": len(failed),
            "first_failure": failed[0] if failed else None,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }

    if os.environ.get("BENCH_PROFILE"):  # the collector under cProfile: BENCH_PROFILE=/tmp/c{customers}.prof
        import cProfile

        with cProfile.Profile() as profile:
            result = asyncio.run(main())
        profile.dump_stats(os.environ["BENCH_PROFILE"].format(customers=customers))
    else:
        result = asyncio.run(main())
    if sink is not None:
        sink.close()
    print(json.dumps(result))


def collector(
    env: dict[str, str], customers: int, calls_file: Path | None = None, *, strict: bool = True
) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.collect", "--run-collector", str(customers)]
    if calls_file is not None:
        command += ["--calls-file", str(calls_file)]
    done = subprocess.run(command, env=env, cwd=HERE.parent, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-4000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if strict and result["failed_holders"]:
        raise RuntimeError(f"{result['failed_holders']} holder collections failed: {result['first_failure']}")
    return result


# --------------------------------------------------------------------------- the holders' maximum

WRK_SCRIPT = """
local requests = {}
local n = 0
for line in io.lines(os.getenv("BENCH_CALLS")) do
  local method, path, auth, body = line:match("^(%S+)\\t(%S+)\\t([^\\t]+)\\t?(.*)$")
  if method then
    n = n + 1
    local headers = {["Authorization"] = auth, ["x-api-tran-id"] = "SAMGAKMD01MBENCH0000001",
                     ["x-api-type"] = "user-consent"}
    if method == "POST" then headers["Content-Type"] = "application/json" end
    requests[n] = wrk.format(method, path, headers, body ~= "" and body or nil)
  end
end
local i = 0
math.randomseed(20200820)
request = function()
  if os.getenv("BENCH_ORDER") == "random" then
    return requests[math.random(n)]
  end
  i = i % n + 1  -- in the order the collector made them
  return requests[i]
end
"""


def holders_maximum(base: str, calls_file: Path, seconds: float, folder: Path, order: str) -> dict[str, Any]:
    """wrk replaying the recorded calls for ``seconds``: in the collector's own ``order``
    (``sequential``: each customer's calls together, as the holders saw them) or ``random``
    (spread over every customer, no locality)."""
    script = folder / "replay.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{int(seconds)}s", "--latency", "-s", str(script), base],
        env=os.environ | {"BENCH_CALLS": str(calls_file), "BENCH_ORDER": order},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import re

    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    return {
        "calls_per_s": rps,
        "non_2xx": int(failures[1]) if failures else 0,
        "replayed_answers": _sample_answers(base, calls_file),
        "wrk": out.strip(),
    }


def _sample_answers(base: str, calls_file: Path, sample: int = 400) -> dict[str, int]:
    """Replay the first ``sample`` recorded calls once and count the answers (rsp_code), so a
    replay that fails where the collection succeeded shows why."""
    import httpx

    counts: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for line in calls_file.read_text().splitlines()[:sample]:
            method, path, auth, body = [*line.split("\t"), ""][:4]
            headers = {
                "Authorization": auth,
                "x-api-tran-id": "SAMGAKMD01MBENCH0000001",
                "x-api-type": "user-consent",
            }
            if method == "POST":
                headers["Content-Type"] = "application/json"
            answer = client.request(method, path, headers=headers, content=body or None)
            code = str(answer.json().get("rsp_code", answer.status_code))
            counts[code] = counts.get(code, 0) + 1
    return counts


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--run-collector", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--calls-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_collector is not None:
        run_collector(args.run_collector, args.calls_file)
        return
    if shutil.which("wrk") is None:
        sys.exit("bench-collect needs wrk (apt-get install wrk)")

    from benchmarks.identity import start_ours, stop, wait_for

    n = args.customers
    with tempfile.TemporaryDirectory(prefix="samgak-bench-collect-") as tmp:
        folder = Path(tmp)
        backend = Backend("sqlite", folder, label="-collect")
        server = None
        try:
            t0 = time.perf_counter()
            backend.migrate_and_seed(n)
            client_id, secret = backend.register_service()
            port = free_port()
            settings = backend.settings(port)
            links = asyncio.run(mint_links(settings, client_id, n))
            print(
                f"seeded {n} customers and minted {links} links in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            backend.settle()
            log = folder / "server.log"
            server = start_ours(backend, port, log)
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/api/directory/orgs", server, log)
            env = backend.env(port) | {"BENCH_CLIENT_ID": client_id, "BENCH_CLIENT_SECRET": secret}

            warm = collector(env, n, strict=False)  # only writes the holders' history; may time out
            print(
                f"warm-up pass (holders write their history): {warm['customers_per_s']:.1f} customers/s",
                flush=True,
            )
            empty_collected(backend.platform_url)
            calls_file = folder / "calls.tsv"
            measured = collector(env, n, calls_file)
            print(
                f"collector: {measured['customers_per_s']:.1f} customers/s, {measured['calls_per_s']:.0f} calls/s, "
                f"peak {measured['peak_rss_mb']:.0f} MB",
                flush=True,
            )
            records = _count(backend.platform_url)
            empty_collected(backend.platform_url)
            small = collector(env, max(1, n // 10))
            print(f"collector on {n // 10}: peak {small['peak_rss_mb']:.0f} MB", flush=True)
            replays = {
                order: holders_maximum(base, calls_file, args.seconds, folder, order) for order in ORDERS
            }
            maximum = max(replays.values(), key=lambda r: float(r["calls_per_s"]))
            for order, replay in replays.items():
                print(
                    f"holders' maximum (wrk replay, {order}): {replay['calls_per_s']:.0f} calls/s", flush=True
                )
        finally:
            stop(server)
            backend.close()

    ratio = measured["calls_per_s"] / maximum["calls_per_s"]
    report = {
        "ratio": round(ratio, 3),
        "customers": n,
        "links": links,
        "collector": measured,
        "collector_tenth": small,
        "holders_maximum": {k: v for k, v in maximum.items() if k != "wrk"},
        "holders_replays": {
            order: {k: v for k, v in r.items() if k != "wrk"} for order, r in replays.items()
        },
        "records_collected": records,
        "links_at_once": LINKS_AT_ONCE,
        "wrk_connections": CONCURRENCY,
        "machine": {
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"{'':28}{'customers/s':>12}{'calls/s':>10}{'peak RSS':>10}")
    print(
        f"{'collector, ' + str(n) + ' customers':28}{measured['customers_per_s']:>12.1f}{measured['calls_per_s']:>10.0f}{measured['peak_rss_mb']:>8.0f}MB"
    )
    print(
        f"{'collector, ' + str(n // 10) + ' customers':28}{small['customers_per_s']:>12.1f}{small['calls_per_s']:>10.0f}{small['peak_rss_mb']:>8.0f}MB"
    )
    for order, replay in replays.items():
        print(f"{'holders (wrk, ' + order + ')':28}{'':>12}{replay['calls_per_s']:>10.0f}")
    print(f"\nratio {ratio:.2f}; {records:,} records collected; wrote {RESULTS.relative_to(HERE.parent)}")


def _count(platform_url: str) -> int:
    path = platform_url.split(":///", 1)[1]
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM mydata_record").fetchone()[0])


if __name__ == "__main__":
    main()
