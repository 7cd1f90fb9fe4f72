"""The merchant API of MyPayment: ``/api/payments/v1`` (API key; ``x-idempotency-key`` on POST)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from samgak.payments.errors import BadRequest
from samgak.payments.service import authenticate, create_payment, idempotency_key, idempotent, payment_of

api = APIRouter(prefix="/api/payments/v1", tags=["payments"])


@api.post("/payments", status_code=201, summary="Create a payment request (status RCVD)")
async def create(request: Request) -> JSONResponse:
    database = request.app.state.platform_db
    base_url = request.app.state.settings.public_base_url
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    key = idempotency_key(request.headers.get("x-idempotency-key"))
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise BadRequest("요청 본문이 JSON이 아닙니다") from None
    answer = await idempotent(
        database, merchant_id, key, raw, lambda session: create_payment(session, merchant_id, body, base_url)
    )
    headers = {"Cache-Control": "no-store"} | ({"Idempotent-Replayed": "true"} if answer.replayed else {})
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


@api.get("/payments/{payment_id}", summary="A payment and its status")
async def read(request: Request, payment_id: str) -> JSONResponse:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    body = await payment_of(database, merchant_id, payment_id, request.app.state.settings.public_base_url)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
