"""Webhooks: an event is written with the change that caused it, delivered after the commit,
signed (HMAC over timestamp and body, replay window), tried again with back-off while the
merchant's endpoint fails — and the same events can be polled."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from samgak.kit.timeutil import utcnow
from samgak.payments import sealer_of, verify_signature
from samgak.payments.webhooks import deliver_due
from tests.payments.test_merchant_api import headers, order


class Shop:
    """The merchant's webhook receiver: answers ``status`` and keeps what it got."""

    def __init__(self, status: int = 200) -> None:
        self.status, self.got = status, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.got.append((request.headers["samgak-signature"], request.content))
        return httpx.Response(self.status)


async def webhook(client: httpx.AsyncClient, key: str, url: str) -> str:
    answer = await client.post(
        "/api/payments/v1/webhooks", json={"url": url}, headers=headers(key, f"wh-{url}")
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["secret"])


async def test_a_created_payment_reaches_the_merchant_signed(
    app: Any, client: httpx.AsyncClient, merchant: Any
) -> None:
    _, key = merchant
    secret = await webhook(client, key, "https://shop.example/hooks")
    created = await client.post("/api/payments/v1/payments", json=order(), headers=headers(key, "wh-pay"))
    shop = Shop()
    async with httpx.AsyncClient(transport=httpx.MockTransport(shop)) as http:
        assert await deliver_due(app.state.platform_db, sealer_of(app.state.settings), http) >= 1
        assert await deliver_due(app.state.platform_db, sealer_of(app.state.settings), http) == 0  # sent once
    signature, body = next(
        (s, b) for s, b in shop.got if json.loads(b)["data"]["payment_id"] == created.json()["payment_id"]
    )
    event = json.loads(body)
    assert event["type"] == "payment.created" and event["data"]["status"] == "RCVD"
    assert verify_signature(secret, signature, body)
    assert not verify_signature(secret, signature, body + b" ")  # any change breaks it
    assert not verify_signature("whsec_other", signature, body)
    assert not verify_signature(secret, signature, body, now=time.time() + 301)  # replayed too late


async def test_a_failing_endpoint_is_tried_again_later_with_back_off(
    app: Any, client: httpx.AsyncClient, merchant: Any
) -> None:
    _, key = merchant
    await webhook(client, key, "https://down.example/hooks")
    await client.post("/api/payments/v1/payments", json=order(), headers=headers(key, "wh-down"))
    database, sealer = app.state.platform_db, sealer_of(app.state.settings)
    down = Shop(503)
    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
        assert await deliver_due(database, sealer, http) == 0 and down.got
        tried = len(down.got)
        assert await deliver_due(database, sealer, http) == 0 and len(down.got) == tried  # not yet due
        later = utcnow() + timedelta(seconds=20)  # the first back-off is 5–15 s
        up = Shop(200)
    async with httpx.AsyncClient(transport=httpx.MockTransport(up)) as http:
        assert await deliver_due(database, sealer, http, now=later) >= 1 and up.got


async def test_events_can_be_polled_after_a_cursor(client: httpx.AsyncClient, merchant: Any) -> None:
    _, key = merchant
    first = await client.post("/api/payments/v1/payments", json=order(), headers=headers(key, "poll-1"))
    page = (await client.get("/api/payments/v1/events", headers=headers(key))).json()
    assert [e["data"]["payment_id"] for e in page["events"]][-1] == first.json()["payment_id"]
    second = await client.post("/api/payments/v1/payments", json=order(), headers=headers(key, "poll-2"))
    later = (
        await client.get(f"/api/payments/v1/events?after={page['next_after']}", headers=headers(key))
    ).json()
    assert [e["data"]["payment_id"] for e in later["events"]] == [second.json()["payment_id"]]


@pytest.mark.parametrize("url", ["ftp://x", "not a url", ""])
async def test_a_webhook_needs_an_http_url(client: httpx.AsyncClient, merchant: Any, url: str) -> None:
    answer = await client.post(
        "/api/payments/v1/webhooks", json={"url": url}, headers=headers(merchant[1], f"bad-{url}")
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_request"
