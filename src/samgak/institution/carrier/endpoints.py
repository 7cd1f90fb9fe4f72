"""HTTP face of carrier verification (``/v1/carrier``) and the demo's phone page."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from samgak.institution.auth.service_call import ServiceCall, service_call
from samgak.institution.carrier.service import (
    Refused,
    UnknownVerification,
    VerificationLocked,
    confirm_verification,
    phone_messages,
    read_birth_date,
    read_name,
    read_phone,
    start_verification,
)
from samgak.institution.errors import (
    BadParameter,
    InvalidApiCall,
    InvalidToken,
    MissingHeader,
    NoSuchUrl,
    RateLimited,
    RevokedToken,
    ScopeNotGranted,
    error_responses,
)
from samgak.institution.state import Institution, get_institution
from samgak.institution.wire import OK, body_doc, json_body, respond
from samgak.kit.timeutil import KST

router = APIRouter(prefix="/v1/carrier", tags=["본인확인 (carrier verification)"])
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
carrier_call = service_call("carrier")
_AUTH = (BadParameter, MissingHeader, InvalidToken, RevokedToken, ScopeNotGranted)


@router.post(
    "/verifications",
    summary="본인확인 요청 (인증번호 발송)",
    responses=error_responses(*_AUTH, RateLimited),
    openapi_extra=body_doc("name", "birth_date", "phone"),
)
async def start(
    payload: dict[str, Any] = Depends(json_body), call: ServiceCall = Depends(carrier_call)
) -> Response:
    """Texts a one-time code if ``name``, ``birth_date`` and ``phone`` are a subscriber's.

    The answer is the same whether or not they are: only the phone learns the outcome.
    """
    started = await start_verification(
        call,
        name=read_name(payload.get("name")),
        birth_date=read_birth_date(payload.get("birth_date")),
        phone=read_phone(payload.get("phone")),
    )
    body = {**OK, "verification_id": started.verification_id, "expires_in": str(started.expires_in)}
    return respond(body, call.tran_id)


@router.post(
    "/verifications/{verification_id}/confirm",
    summary="본인확인 인증번호 확인",
    responses=error_responses(*_AUTH, InvalidApiCall, VerificationLocked, UnknownVerification),
    openapi_extra=body_doc("code"),
)
async def confirm(
    verification_id: str,
    payload: dict[str, Any] = Depends(json_body),
    call: ServiceCall = Depends(carrier_call),
) -> Response:
    """The person's CI and name when ``code`` is right; a wrong code costs one attempt."""
    outcome = await confirm_verification(call, verification_id, payload.get("code"))
    if isinstance(outcome, Refused):
        # Answered rather than raised: the counted attempt must commit with the refusal.
        error = outcome.error
        return respond(
            {"rsp_code": error.rsp_code, "rsp_msg": error.message}, call.tran_id, error.status_code
        )
    return respond({**OK, "ci": outcome.ci, "name": outcome.name}, call.tran_id)


@router.get("/demo/phone", include_in_schema=False)
async def demo_phone(
    request: Request, phone: str | None = Query(None), institution: Institution = Depends(get_institution)
) -> Response:
    """The demo's stand-in for a subscriber's phone: the carrier's text messages, newest first."""
    if institution.settings.env == "prod":
        raise NoSuchUrl()
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    messages: list[dict[str, str]] = []
    if digits:
        async with institution.db.read_sessions() as session:
            for sms in await phone_messages(institution, session, digits):
                sent = sms.created_at if sms.created_at.tzinfo else sms.created_at.replace(tzinfo=UTC)
                local = sent.astimezone(KST)
                messages.append({"body": sms.body, "date": f"{local:%Y.%m.%d}", "time": f"{local:%H:%M}"})
    context = {"institution": institution, "phone": digits, "display": _display(digits), "messages": messages}
    return templates.TemplateResponse(request, "phone.html", context)


def _display(digits: str) -> str:
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return digits
