"""The merchant API of MyPayment: ``/api/payments/v1`` (API key; ``x-idempotency-key`` on POST)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from samgak.payments import actions, checkout, settlement
from samgak.payments.errors import BadRequest
from samgak.payments.runtime import Payments
from samgak.payments.service import (
    Answer,
    authenticate,
    create_payment,
    idempotency_key,
    idempotent,
    payment_of,
)
from samgak.payments.webhooks import events_after, register

api = APIRouter(prefix="/api/payments/v1", tags=["payments"])
NO_STORE = {"Cache-Control": "no-store"}


def _payments(request: Request) -> Payments:
    found: Payments = request.app.state.payments
    return found


async def _json(request: Request) -> tuple[bytes, Any]:
    raw = await request.body()
    try:
        return raw, json.loads(raw or b"{}")
    except ValueError:
        raise BadRequest("요청 본문이 JSON이 아닙니다") from None


def _answered(answer: Answer) -> JSONResponse:
    headers = NO_STORE | ({"Idempotent-Replayed": "true"} if answer.replayed else {})
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


@api.post("/payments", status_code=201, summary="Create a payment request (status RCVD)")
async def create(request: Request) -> JSONResponse:
    database, base_url = request.app.state.platform_db, _payments(request).base_url
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    key = idempotency_key(request.headers.get("x-idempotency-key"))
    raw, body = await _json(request)
    answer = await idempotent(
        database, merchant_id, key, raw, lambda session: create_payment(session, merchant_id, body, base_url)
    )
    return _answered(answer)


@api.get("/payments/{payment_id}", summary="A payment, its status and its refunds")
async def read(request: Request, payment_id: str) -> JSONResponse:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    return JSONResponse(
        await payment_of(database, merchant_id, payment_id, _payments(request).base_url), headers=NO_STORE
    )


@api.post("/payments/{payment_id}/cancel", summary="Cancel a payment the customer has not approved (CANC)")
async def cancel(request: Request, payment_id: str) -> JSONResponse:
    database, payments = request.app.state.platform_db, _payments(request)
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    key = idempotency_key(request.headers.get("x-idempotency-key"))
    raw, _ = await _json(request)

    async def work(session: AsyncSession) -> Answer:
        return Answer(200, await checkout.cancel(session, payments, payment_id, merchant_id=merchant_id))

    return _answered(await idempotent(database, merchant_id, key, raw, work))


@api.post(
    "/payments/{payment_id}/refunds",
    status_code=201,
    summary="Refund a captured payment, fully or in part (amount in won; default: what is left)",
)
async def refund(request: Request, payment_id: str) -> JSONResponse:
    database, payments = request.app.state.platform_db, _payments(request)
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    key = idempotency_key(request.headers.get("x-idempotency-key"))
    raw, body = await _json(request)
    answer = await actions.refund(database, payments, merchant_id, payment_id, key, raw, body)
    return _answered(answer)


@api.get("/settlements", summary="The merchant's settlements, newest first")
async def settlements(request: Request) -> JSONResponse:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    return JSONResponse(await settlement.settlements_of(database, merchant_id), headers=NO_STORE)


@api.get("/settlements/{settlement_id}/statement.csv", summary="A settlement's statement as CSV")
async def statement_csv(request: Request, settlement_id: str) -> Response:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    return statement_download(await settlement.statement(database, merchant_id, settlement_id))


def statement_download(found: settlement.Statement) -> Response:
    """A statement as a CSV download (the API and the console)."""
    return Response(
        settlement.statement_csv(found),
        media_type="text/csv; charset=utf-8",
        headers=NO_STORE
        | {"Content-Disposition": f'attachment; filename="settlement-{found.settlement.day}.csv"'},
    )


@api.post(
    "/webhooks", status_code=201, summary="Register a webhook endpoint (its signing secret is shown once)"
)
async def add_webhook(request: Request) -> JSONResponse:
    database, sealer = request.app.state.platform_db, _payments(request).sealer
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    key = idempotency_key(request.headers.get("x-idempotency-key"))
    raw, body = await _json(request)

    async def work(session: AsyncSession) -> Answer:
        return Answer(201, await register(session, sealer, merchant_id, str(body.get("url", ""))))

    return _answered(await idempotent(database, merchant_id, key, raw, work))


@api.get("/events", summary="The merchant's events after a cursor (polling instead of webhooks)")
async def events(request: Request, after: int = 0) -> JSONResponse:
    database = request.app.state.platform_db
    merchant_id = await authenticate(database, request.headers.get("authorization"))
    return JSONResponse(await events_after(database, merchant_id, after), headers=NO_STORE)
