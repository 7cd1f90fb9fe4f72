"""The merchant API of MyPayment: ``/api/payments/v1`` (API key; ``x-idempotency-key`` on POST)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse

from samgak.payments.errors import BadRequest
from samgak.payments.service import (
    Answer,
    authenticate,
    create_payment,
    idempotency_key,
    idempotent,
    payment_of,
    sealer_of,
)
from samgak.payments.webhooks import events_after, register

api = APIRouter(prefix="/api/payments/v1", tags=["payments"])


@api.post("/payments", status_code=201, summary="Create a payment request (status RCVD)")
async def create(request: Request) -> JSONResponse:
    database = request.app.state.platform_db
    base_url = request.app.state.settings.public_base_url
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    key = idempotency_key(request.headers.get("x-idempotency-key"))
    raw, body = await _json(request)
    answer = await idempotent(
        database, merchant_id, key, raw, lambda session: create_payment(session, merchant_id, body, base_url)
    )
    headers = {"Cache-Control": "no-store"} | ({"Idempotent-Replayed": "true"} if answer.replayed else {})
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


async def _json(request: Request) -> tuple[bytes, Any]:
    raw = await request.body()
    try:
        return raw, json.loads(raw or b"{}")
    except ValueError:
        raise BadRequest("요청 본문이 JSON이 아닙니다") from None


@api.post(
    "/webhooks", status_code=201, summary="Register a webhook endpoint (its signing secret is shown once)"
)
async def add_webhook(request: Request) -> JSONResponse:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    key = idempotency_key(request.headers.get("x-idempotency-key"))
    raw, body = await _json(request)
    sealer = sealer_of(request.app.state.settings)

    async def work(session: AsyncSession) -> Answer:
        return Answer(201, await register(session, sealer, merchant_id, str(body.get("url", ""))))

    answer = await idempotent(database, merchant_id, key, raw, work)
    return JSONResponse(answer.body, status_code=answer.status_code, headers={"Cache-Control": "no-store"})


@api.get("/events", summary="The merchant's events after a cursor (polling instead of webhooks)")
async def events(request: Request, after: int = 0) -> JSONResponse:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    return JSONResponse(
        await events_after(database, merchant_id, after), headers={"Cache-Control": "no-store"}
    )


@api.get("/payments/{payment_id}", summary="A payment and its status")
async def read(request: Request, payment_id: str) -> JSONResponse:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    body = await payment_of(database, merchant_id, payment_id, request.app.state.settings.public_base_url)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
