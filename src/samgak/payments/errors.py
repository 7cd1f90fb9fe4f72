"""MyPayment's errors, in its API's format: ``{"error": {"code", "message"}}`` with the status."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from samgak.kit.errors import SamgakError


class PaymentsError(SamgakError):
    """An expected refusal of the payments API; nothing was changed."""


class BadRequest(PaymentsError):
    status_code = 400
    code = "invalid_request"


class Unauthenticated(PaymentsError):
    status_code = 401
    code = "invalid_api_key"


class NotFound(PaymentsError):
    status_code = 404
    code = "not_found"


class Conflict(PaymentsError):
    """The payment, refund or settlement is not in a state that allows this."""

    status_code = 409
    code = "invalid_state"


class Unavailable(PaymentsError):
    status_code = 503
    code = "bank_unavailable"


class InProgress(PaymentsError):
    status_code = 409
    code = "idempotency_key_in_use"


class KeyReused(PaymentsError):
    status_code = 422
    code = "idempotency_key_reused"


async def payments_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Render a :class:`PaymentsError` (install with ``app.add_exception_handler``)."""
    assert isinstance(exc, PaymentsError)
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message}},
        status_code=exc.status_code,
        headers={"Cache-Control": "no-store"},
    )
