"""Scheduled transmission (정기적 전송, standard 2.7).

A link whose consent asked for scheduled transmission is collected with ``x-api-type:
scheduled`` once per its cycle (``1/w`` weekly, ``2/m`` twice a month, ``1/m`` monthly), and only
inside the holder's published non-peak windows (``np_time``, 지원-002). A link is never collected
on schedule twice within its cycle, so our own calls never meet the holder's scheduled-call limit
(42901). The sweep runs in the web process every ``mydata.schedule_seconds`` (0 turns it off); each
sweep is a collection run, and a sweep first finishes the runs an earlier process left open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from samgak import directory
from samgak.kit.db import Database
from samgak.kit.timeutil import KST, coerce_datetime, utcnow
from samgak.mydata.collect import start_run, work_run
from samgak.mydata.models import MydataLink
from samgak.mydata.repository import MydataRepository
from samgak.mydata.runtime import Mydata

log = logging.getLogger(__name__)
CYCLE_DAYS = {"1/w": 7, "2/m": 15, "1/m": 30}


def in_non_peak(np_times: Sequence[str], moment: datetime) -> bool:
    """Whether ``moment`` (any zone) falls inside one of the ``hhmm:hhmm`` windows, Korean time."""
    hhmm = f"{moment.astimezone(KST):%H%M}"
    return any(start <= hhmm < end for start, end in (w.split(":") for w in np_times))


def due(link: MydataLink, now: datetime) -> bool:
    """Scheduled, and not collected within its cycle."""
    if link.cycle not in CYCLE_DAYS:
        return False
    last = coerce_datetime(link.collected_at)
    return last is None or now - last >= timedelta(days=CYCLE_DAYS[link.cycle])


async def sweep(database: Database, mydata: Mydata, *, now: datetime | None = None) -> int:
    """Collect every due link whose holder is in a non-peak window now; how many were collected."""
    now = now or utcnow()
    async with database.read_sessions() as session:
        repo = MydataRepository(session)
        left_open = [run.id for run in await repo.open_runs("schedule")]
    for run_id in left_open:
        await work_run(database, mydata, run_id)
    async with database.read_sessions() as session:
        windows = {org.org_code: org.np_times for org in (await directory.list_orgs(session, "0")).orgs}
        links = await MydataRepository(session).scheduled_links()
    chosen = [link for link in links if due(link, now) and in_non_peak(windows.get(link.org_code, ()), now)]
    if chosen:
        run_id = await start_run(
            database, [link.consent_id for link in chosen], api_type="scheduled", origin="schedule"
        )
        await work_run(database, mydata, run_id)
    return len(chosen)


async def run_schedule(database: Database, mydata: Mydata, every: float) -> None:
    """The in-process scheduler: a sweep every ``every`` seconds until cancelled."""
    while True:
        await asyncio.sleep(every)
        try:
            collected = await sweep(database, mydata)
        except Exception:  # a bad sweep must not stop the next one
            log.exception("scheduled collection sweep failed")
        else:
            if collected:
                log.info("scheduled collection: %d links", collected)
