"""Signed webhooks from a transactional outbox, and the polling API's events.

An event is written in the unit of work that caused it (``payments_event``), so it exists exactly
when the change does; :func:`deliver_due` sends due events after the commit to every webhook of the
merchant, signed ``Samgak-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>``.
A 2xx answer delivers the event; anything else is tried again after an exponential, jittered
back-off, up to ``MAX_ATTEMPTS``. Merchants check signatures with :func:`verify_signature`, which
also refuses a timestamp outside the replay window. Delivery is at least once; the event's ``id``
lets a merchant drop a repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.crypto import Sealer
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow
from samgak.payments.errors import BadRequest
from samgak.payments.models import PaymentsEvent, PaymentsWebhook
from samgak.payments.repository import PaymentsRepository

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
BACKOFF = timedelta(seconds=10)  # the first retry; doubling, with jitter
REPLAY_WINDOW = 300  # seconds a signature's timestamp may be away from now


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """What a merchant runs on a delivery: the HMAC matches and the timestamp is within the
    replay window."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    timestamp = int(parts["t"])
    if abs((now if now is not None else time.time()) - timestamp) > REPLAY_WINDOW:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).split("v1=", 1)[1], parts["v1"])


async def record(session: AsyncSession, merchant_id: str, kind: str, payload: dict[str, Any]) -> None:
    """Add an event to the outbox, in the caller's unit of work."""
    now = utcnow()
    await PaymentsRepository(session).add(
        PaymentsEvent(
            merchant_id=merchant_id,
            kind=kind,
            payload=json.dumps(payload, ensure_ascii=False),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )


async def register(session: AsyncSession, sealer: Sealer, merchant_id: str, url: str) -> dict[str, str]:
    """A webhook endpoint for the merchant; its signing secret is in the answer only."""
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc or len(url) > 500:
        raise BadRequest("url은 http(s) 주소입니다")
    secret = f"whsec_{secrets.token_urlsafe(24)}"
    webhook = PaymentsWebhook(
        id=f"W{secrets.token_hex(8).upper()}",
        merchant_id=merchant_id,
        url=url,
        secret_sealed=sealer.seal(secret),
        created_at=utcnow(),
    )
    await PaymentsRepository(session).add(webhook)
    return {"webhook_id": webhook.id, "url": url, "secret": secret}


def _envelope(event: PaymentsEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.kind,
        "created_at": event.created_at.isoformat(),
        "data": json.loads(event.payload),
    }


async def events_after(database: Database, merchant_id: str, after: int, limit: int = 100) -> dict[str, Any]:
    """The polling API: the merchant's events after the cursor ``after``, oldest first."""
    async with database.read_sessions() as session:
        events = await PaymentsRepository(session).events_after(merchant_id, after, limit)
    listed = [_envelope(e) for e in events]
    return {"events": listed, "next_after": listed[-1]["id"] if listed else after}


async def deliver_due(
    database: Database, sealer: Sealer, http: httpx.AsyncClient, *, now: datetime | None = None
) -> int:
    """Send every due event to its merchant's webhooks (HTTP after reading, a short write after);
    how many were delivered."""
    now = now or utcnow()
    async with database.read_sessions() as session:
        repo = PaymentsRepository(session)
        due = await repo.due_events(now, 100)
        hooks = await repo.webhooks_of({e.merchant_id for e in due})
    settled: list[tuple[int, int, datetime | None, datetime | None, str | None]] = []
    for event in due:
        body = json.dumps(_envelope(event), ensure_ascii=False).encode()
        error = None
        for hook in hooks.get(event.merchant_id, []):
            headers = {
                "Content-Type": "application/json",
                "Samgak-Signature": sign(sealer.open(hook.secret_sealed), int(time.time()), body),
            }
            try:
                answer = await http.post(hook.url, content=body, headers=headers, timeout=10)
                if not 200 <= answer.status_code < 300:
                    error = f"{hook.id}: HTTP {answer.status_code}"
            except httpx.HTTPError as failed:
                error = f"{hook.id}: {type(failed).__name__}"
        attempts = event.attempts + 1
        if error is None:
            settled.append((event.id, attempts, None, now, None))
        else:
            backoff = BACKOFF * 2 ** (attempts - 1) * (0.5 + random.random())
            settled.append(
                (event.id, attempts, now + backoff if attempts < MAX_ATTEMPTS else None, None, error)
            )
    if settled:
        async with database.unit_of_work() as session:  # one short write for the whole round
            repo = PaymentsRepository(session)
            for event_id, attempts, next_at, done_at, error in settled:
                await repo.settle_event(event_id, attempts, next_at, done_at, error)
    return sum(1 for *_, done_at, _error in settled if done_at is not None)


async def run_delivery(database: Database, sealer: Sealer, every: float) -> None:
    """The in-process deliverer: :func:`deliver_due` every ``every`` seconds until cancelled."""
    async with httpx.AsyncClient() as http:
        while True:
            await asyncio.sleep(every)
            try:
                await deliver_due(database, sealer, http)
            except Exception:  # one bad round must not stop the next
                log.exception("webhook delivery failed")
