"""Collection survives its collector: killed with SIGKILL midway and started again, and a worker
of the broker killed with jobs in hand — no duplicates, no gaps.

Both run against the live platform (its holders answer over real HTTP); links are minted inside
the holders for the live alliance's customers (subjects ``kill-…``), as ``make bench-collect``
does. "No gaps" is proved by a further complete collection that finds nothing new to add; "no
duplicates" by the unique ``(asset, dedup_key)`` rows staying the same in number, and every
asset keeping its one id.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.conftest import LIVE_CUSTOMERS, LIVE_SEED

LEASE = "1"  # seconds: a killed collector's jobs are taken again after this
BROKER = "redis://127.0.0.1:6379/13"


def _db(settings: Any) -> sqlite3.Connection:
    return sqlite3.connect(settings.database_url.split(":///", 1)[1], timeout=30)


def _one(settings: Any, sql: str, *args: Any) -> Any:
    with _db(settings) as connection:
        return connection.execute(sql, args).fetchone()


def _totals(settings: Any) -> tuple[int, int]:
    """(records, assets) collected for everyone."""
    records = _one(settings, "SELECT count(*) FROM mydata_record")[0]
    assets = _one(settings, "SELECT count(*) FROM mydata_asset")[0]
    return int(records), int(assets)


def _env(settings: Any) -> dict[str, str]:
    return os.environ | {
        "SAMGAK_ENV": "test",
        "SAMGAK_DATABASE_URL": settings.database_url,
        "SAMGAK_PUBLIC_BASE_URL": settings.public_base_url,
        "SAMGAK_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SAMGAK_INSTITUTION__DATABASE_URL": settings.institution.database_url,
        "SAMGAK_MYDATA__JOB_LEASE_SECONDS": LEASE,
        "SAMGAK_MYDATA__BROKER_URL": BROKER,
        "COLUMNS": "120",
    }


def _cli(settings: Any, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "samgak.cli", *args],
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def minted(live_server: Any) -> Any:
    """Links for every live customer at every member they use (subjects ``kill-…``)."""
    from benchmarks.collect import mint_links

    from samgak.app import ca_url
    from samgak.kit.db import Database
    from samgak.mydata import build_mydata, load_credentials

    settings = live_server.settings

    async def mint() -> int:
        database = Database(settings.database_url)
        service = build_mydata(settings, ca_url=ca_url(settings))
        async with database.read_sessions() as session:
            assert await load_credentials(session, service)
        client_id = next(iter(service.holders.values())).client.client_id
        await service.close()
        await database.dispose()
        return await mint_links(settings, client_id, LIVE_CUSTOMERS, seed=LIVE_SEED, prefix="kill")

    assert asyncio.run(mint()) > 40
    return live_server


def _wait_until(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _newest_run(settings: Any) -> int:
    return int(_one(settings, "SELECT max(id) FROM mydata_run")[0] or 0)


def _states(settings: Any, run_id: int) -> dict[str, int]:
    """The run's jobs over the minted links by state (other tests' links at the live server may
    have been replaced by the minting: the holder revoked their tokens, 40103)."""
    with _db(settings) as connection:
        rows = connection.execute(
            "SELECT state, count(*) FROM mydata_job WHERE run_id = ? AND consent_id LIKE 'KILL\\_%' ESCAPE '\\' "
            "GROUP BY state",
            (run_id,),
        ).fetchall()
    return {state: int(n) for state, n in rows}


def test_a_collector_killed_midway_resumes_without_duplicates_or_gaps(minted: Any) -> None:
    settings = minted.settings
    before = _newest_run(settings)
    collector = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "samgak.cli",
            "collect",
            "--api-type",
            "user-consent",
            "--new",
            "--concurrency",
            "4",
        ],
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until(lambda: _newest_run(settings) > before, 60, "the collector never started a run")
        run_id = _newest_run(settings)
        _wait_until(lambda: _states(settings, run_id).get("done", 0) >= 5, 120, "no job finished")
        collector.send_signal(signal.SIGKILL)
    finally:
        collector.kill()
        collector.wait(10)
    at_kill = _states(settings, run_id)
    total = sum(at_kill.values())
    assert at_kill.get("running", 0) > 0, at_kill  # killed with jobs in hand …
    assert at_kill.get("done", 0) < total, at_kill  # … and work left
    assert _one(settings, "SELECT finished_at FROM mydata_run WHERE id = ?", run_id)[0] is None

    time.sleep(float(LEASE))
    resumed = _cli(settings, "collect", "--api-type", "user-consent", "--concurrency", "4")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"#{run_id}" in resumed.stdout  # the same run, taken up where it stopped
    assert _states(settings, run_id) == {"done": total}, _states(settings, run_id)
    assert _one(settings, "SELECT finished_at FROM mydata_run WHERE id = ?", run_id)[0] is not None
    retried = _one(
        settings,
        "SELECT count(*) FROM mydata_job WHERE run_id = ? AND attempts > 1 AND consent_id LIKE 'KILL%'",
        run_id,
    )[0]
    assert retried >= at_kill["running"]  # the jobs the killed collector held were done again

    after_resume = _totals(settings)
    again = _cli(settings, "collect", "--api-type", "user-consent", "--new", "--concurrency", "4")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _totals(settings) == after_resume  # a complete collection finds nothing missing
    duplicated = _one(
        settings,
        "SELECT count(*) FROM (SELECT subject, org_code, key_digest FROM mydata_asset "
        "GROUP BY subject, org_code, key_digest HAVING count(*) > 1)",
    )[0]
    assert duplicated == 0


def _redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (CI runs it)")
    return client


def test_a_worker_killed_with_jobs_in_hand_is_taken_over_by_another(minted: Any) -> None:
    from sqlalchemy import text

    from samgak.kit.db import Database
    from samgak.mydata import JobStream, publish_run, start_run

    broker = _redis_or_skip()
    broker.flushdb()
    settings = minted.settings
    before = _totals(settings)

    async def publish() -> int:
        database = Database(settings.database_url)
        async with database.read_sessions() as session:
            links = [
                consent_id
                for (consent_id,) in await session.execute(text("SELECT consent_id FROM mydata_link"))
                if consent_id.startswith("KILL_")
            ]
        run_id = await start_run(database, links, api_type="user-refresh", origin="cli")
        stream = JobStream(BROKER, lease_seconds=float(LEASE))
        assert await publish_run(database, stream, run_id, "user-refresh") == len(links)
        await stream.close()
        await database.dispose()
        return run_id

    run_id = asyncio.run(publish())
    worker = ("collect-worker", "--concurrency", "4")
    first = subprocess.Popen(
        [sys.executable, "-m", "samgak.cli", *worker, "--name", "first"],
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until(
            lambda: _states(settings, run_id).get("done", 0) >= 3, 120, "the first worker did nothing"
        )
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait(10)
    pending = broker.xpending("samgak:mydata:jobs", "collectors")
    assert pending["pending"] > 0  # messages the dead worker took and never acknowledged
    second = subprocess.Popen(
        [sys.executable, "-m", "samgak.cli", *worker, "--name", "second"],
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until(  # a job the first worker finished but never acknowledged is reclaimed after
            # its lease and acknowledged then, possibly after every job is done
            lambda: set(_states(settings, run_id)) == {"done"} and broker.xlen("samgak:mydata:jobs") == 0,
            180,
            f"jobs left: {_states(settings, run_id)}, messages: {broker.xlen('samgak:mydata:jobs')}",
        )
    finally:
        second.send_signal(signal.SIGTERM)  # a graceful stop: the jobs in hand are finished first
        _, errors = second.communicate(timeout=30)
    assert second.returncode == 0, errors
    assert broker.xlen("samgak:mydata:jobs") == 0  # every message acknowledged and removed
    assert broker.xpending("samgak:mydata:jobs", "collectors")["pending"] == 0
    assert _totals(settings) == before  # the same data again: nothing doubled, nothing lost


def test_collect_with_workers_runs_every_job_on_the_broker(minted: Any) -> None:
    broker = _redis_or_skip()
    broker.flushdb()
    settings = minted.settings
    before = _totals(settings)
    ran = _cli(
        settings, "collect", "--workers", "2", "--api-type", "user-refresh", "--new", "--concurrency", "4"
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    run_id = _newest_run(settings)
    states = _states(settings, run_id)
    assert set(states) == {"done"} and states["done"] > 40, states
    assert re.search(r"│ KT\s+│\s+\d+ │", ran.stdout), ran.stdout  # the table per member
    assert broker.xlen("samgak:mydata:jobs") == 0
    assert _totals(settings) == before  # refreshed: nothing new, nothing doubled
