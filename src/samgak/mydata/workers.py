"""Collection across processes and machines: a run's jobs on a Redis stream.

``samgak collect --workers N`` publishes the jobs of a run on the stream ``samgak:mydata:jobs``
and starts N ``samgak collect-worker`` processes; more can run on other machines against the same
database and broker. Workers read the stream in one consumer group, so each job goes to one worker.
A worker leases the job in the database (the same lease as in-process collection), collects the
link, and acknowledges the message only after the unit of work that stores the data and marks
the job done has committed. The messages of a worker that died stay pending in the group, and
another worker claims them (``XAUTOCLAIM``) once they have been idle for the lease: at least once
through the broker, exactly once in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

import redis.asyncio as redis
from redis.exceptions import ResponseError

from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow
from samgak.mydata.collect import Job, claimed_jobs, pipeline, unfinished_jobs
from samgak.mydata.repository import MydataRepository
from samgak.mydata.runtime import Mydata

STREAM = "samgak:mydata:jobs"
GROUP = "collectors"


class JobStream:
    """The broker side: publish a run's jobs, take them as one consumer of the group, acknowledge."""

    def __init__(self, url: str, *, lease_seconds: float, stream: str = STREAM) -> None:
        self.redis = redis.from_url(url)
        self.stream = stream
        self.idle_ms = int(lease_seconds * 1000)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exists:
            if "BUSYGROUP" not in str(exists):
                raise

    async def publish(self, run_id: int, api_type: str, job_ids: Sequence[int]) -> None:
        await self.ensure_group()
        async with self.redis.pipeline(transaction=False) as batch:
            for job_id in job_ids:
                batch.xadd(self.stream, {"run": run_id, "job": job_id, "type": api_type})
            await batch.execute()

    async def take(self, consumer: str, count: int, block_ms: int) -> list[tuple[str, dict[str, str]]]:
        """Messages for ``consumer``: first those a dead consumer left idle for the lease, then new."""
        _, entries, *_ = await self.redis.xautoclaim(
            self.stream, GROUP, consumer, min_idle_time=self.idle_ms, start_id="0-0", count=count
        )
        if not entries:
            answer: Any = await self.redis.xreadgroup(
                GROUP, consumer, {self.stream: ">"}, count=count, block=block_ms
            )
            entries = answer[0][1] if answer else []
        return [
            (_text(msg_id), {_text(k): _text(v) for k, v in fields.items()}) for msg_id, fields in entries
        ]

    async def ack(self, msg_id: str) -> None:
        await self.redis.xack(self.stream, GROUP, msg_id)
        await self.redis.xdel(self.stream, msg_id)

    async def close(self) -> None:
        await self.redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def work_stream(
    database: Database,
    mydata: Mydata,
    stream: JobStream,
    consumer: str,
    *,
    concurrency: int = 16,
    stop: asyncio.Event | None = None,
) -> None:
    """Take jobs from the stream and collect them until ``stop`` is set (a worker's whole life)."""
    stop = stop or asyncio.Event()
    lease = timedelta(seconds=mydata.settings.mydata.job_lease_seconds)
    await stream.ensure_group()

    async def jobs() -> AsyncIterator[Job]:
        while not stop.is_set():
            for msg_id, fields in await stream.take(consumer, concurrency, block_ms=500):
                job_id, run_id = int(fields["job"]), int(fields["run"])
                now = utcnow()
                async with database.unit_of_work() as session:
                    repo = MydataRepository(session)
                    taken = await repo.claim_jobs(run_id, 1, now, now + lease, job_id=job_id)
                    finished = not taken and await repo.job_finished(job_id)
                if finished:  # done already (a message delivered twice): nothing to do
                    await stream.ack(msg_id)
                if not taken:  # else leased by a live collector: the message comes back after the lease
                    continue
                (job,) = await claimed_jobs(database, taken, fields["type"])
                job.settle = partial(stream.ack, msg_id)
                yield job

    await pipeline(database, mydata, jobs(), concurrency=concurrency)


async def publish_run(database: Database, stream: JobStream, run_id: int, api_type: str) -> int:
    """Put every unfinished job of the run on the stream; how many."""
    job_ids = await unfinished_jobs(database, run_id)
    await stream.publish(run_id, api_type, job_ids)
    return len(job_ids)
