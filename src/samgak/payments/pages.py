"""MyPayment's pages: the checkout (``/pay/{id}``), the customer's payment history
(``/pay/history``) and the merchant console (``/merchant``).

The checkout is the customer's: signed in with the alliance identity, they choose an account
(linked through MyData, or entered and checked at the bank) and approve with a passkey step-up
bound to amount, payee and payment. The console is the merchant's: signed in with an API key
(kept sealed in an HttpOnly, SameSite=Strict cookie and checked on every request, so a revoked
key ends the session), it lists payments with refunds, settlements with statements (page and
CSV), keys and webhooks. Every form carries an idempotency key of its own, so a double click
refunds once.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import JSONResponse, RedirectResponse, Response

from samgak import mydata
from samgak.identity import Person, signed_in_person
from samgak.kit.i18n import current_language
from samgak.kit.money import format_won
from samgak.kit.qr import qr_svg
from samgak.kit.timeutil import KST, today_kst
from samgak.payments import actions, checkout, refunds, settlement
from samgak.payments.endpoints import statement_download
from samgak.payments.errors import BadRequest, NotFound, PaymentsError, Unauthenticated
from samgak.payments.repository import PaymentsRepository
from samgak.payments.runtime import Payments
from samgak.payments.service import authenticate
from samgak.payments.words import _

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(
    won=format_won,
    kst=lambda at: f"{at.astimezone(KST):%Y-%m-%d %H:%M}" if at else "",
    _=_,
    lang=current_language,
    status_ko=lambda code: _(checkout.STATUS_KO.get(code) or str(code)),
    refund_ko=lambda code: _(refunds.STATUS_KO.get(code) or str(code)),
)
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
MERCHANT_COOKIE = "samgak_merchant"


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=HEADERS)


def _payments(request: Request) -> Payments:
    found: Payments = request.app.state.payments
    return found


def _sign_in(request: Request) -> Response:
    return RedirectResponse(f"/id/start?{urlencode({'next': request.url.path})}", 303)


async def _paying_accounts(request: Request, person: Person) -> list[mydata.PayingAccount]:
    async with request.app.state.platform_db.read_sessions() as session:
        return await mydata.paying_accounts(session, request.app.state.mydata.sealer, person.subject)


# ------------------------------------------------------------------ the customer's pages


@router.get("/pay/history")
async def history(request: Request) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    async with request.app.state.platform_db.read_sessions() as session:
        rows = await PaymentsRepository(session).payments_of_payer(person.subject, 100)
    return _page(request, "history.html", {"person": person, "rows": rows})


@router.get("/pay/{payment_id}/qr.svg")
async def checkout_qr(request: Request, payment_id: str) -> Response:
    """The checkout link as a QR code, to pay on a phone (the link is all it holds)."""
    shown = await checkout.checkout_of(request.app.state.platform_db, payment_id)
    image = qr_svg(f"{_payments(request).base_url}/pay/{shown.payment.id}")
    return Response(image, media_type="image/svg+xml", headers=HEADERS)


@router.get("/pay/{payment_id}")
async def checkout_page(request: Request, payment_id: str) -> Response:
    try:
        shown = await checkout.checkout_of(request.app.state.platform_db, payment_id)
    except NotFound as missing:
        return _page(request, "error.html", {"message": _(missing.message)}, status_code=404)
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    if shown.payment.payer_subject not in (None, person.subject):  # someone else's payment
        return _page(request, "error.html", {"message": _("다른 고객이 승인한 결제입니다.")}, status_code=403)
    accounts = await _paying_accounts(request, person) if shown.payment.status == "RCVD" else []
    banks = _banks(request)
    return _page(
        request,
        "checkout.html",
        {
            "shown": shown,
            "person": person,
            "accounts": [(a, banks.get(a.org_code, a.org_code)) for a in accounts],
            "banks": banks,
        },
    )


def _banks(request: Request) -> dict[str, str]:
    """The member banks a payment can be drawn from: org code → name."""
    return {m.org_code: m.org_name for m in request.app.state.settings.members if m.industry == "bank"}


@router.post("/pay/{payment_id}/approve")
async def approve(request: Request, payment_id: str) -> Response:
    """JSON ``{receipt, account: <index of a linked account> | "other", org_code?, account_num?}``."""
    person = await signed_in_person(request)
    if person is None:
        raise Unauthenticated("로그인이 필요합니다")
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise BadRequest("요청 본문은 JSON 객체입니다")
    choice = body.get("account")
    if choice == "other":
        org_code, account_num, linked = str(body.get("org_code", "")), str(body.get("account_num", "")), False
    else:
        accounts = await _paying_accounts(request, person)
        if type(choice) is not int or not 0 <= choice < len(accounts):
            raise BadRequest("출금할 계좌를 고르세요")
        org_code, account_num, linked = accounts[choice].org_code, accounts[choice].account_num, True
    status = await actions.pay(
        request.app.state.platform_db,
        _payments(request),
        request.app.state.identity,
        checkout.Payer(person.subject, person.ci, person.name),
        payment_id,
        receipt=str(body.get("receipt", "")),
        org_code=org_code,
        account_num=account_num,
        linked=linked,
    )
    return JSONResponse({"status": status, "next": f"/pay/{payment_id}"}, headers=HEADERS)


@router.post("/pay/{payment_id}/cancel")
async def cancel_page(request: Request, payment_id: str) -> Response:
    if await signed_in_person(request) is None:
        return _sign_in(request)
    async with request.app.state.platform_db.unit_of_work() as session:
        await checkout.cancel(session, _payments(request), payment_id, merchant_id=None)
    return RedirectResponse(f"/pay/{payment_id}", 303)


# ------------------------------------------------------------------ the merchant console


async def _merchant(request: Request) -> str | None:
    sealed = request.cookies.get(MERCHANT_COOKIE)
    if not sealed:
        return None
    try:
        key = _payments(request).sealer.open(sealed)
        return await authenticate(request.app.state.platform_db, f"Bearer {key}")
    except (Unauthenticated, ValueError):
        return None


@router.get("/merchant")
async def console(request: Request) -> Response:
    merchant_id = await _merchant(request)
    if merchant_id is None:
        return _page(request, "merchant_login.html", {"error": None})
    async with request.app.state.platform_db.read_sessions() as session:
        repo = PaymentsRepository(session)
        merchant = await repo.merchant(merchant_id)
        rows = await repo.payments_of_merchant(merchant_id, 100)
        refunds = await repo.refunds_of([p.id for p in rows])
        settlements = await repo.settlements_of(merchant_id, 30)
        hooks = (await repo.webhooks_of([merchant_id])).get(merchant_id, [])
        keys = await repo.api_keys_of(merchant_id)
    return _page(
        request,
        "merchant.html",
        {
            "merchant": merchant,
            "rows": rows,
            "refunds": refunds,
            "settlements": settlements,
            "hooks": hooks,
            "keys": keys,
            "form_key": secrets.token_urlsafe(12),
            "message": request.query_params.get("message"),
        },
    )


@router.post("/merchant/login")
async def console_login(request: Request) -> Response:
    key = str((await request.form()).get("api_key", "")).strip()
    try:
        await authenticate(request.app.state.platform_db, f"Bearer {key}")
    except Unauthenticated as refused:
        return _page(request, "merchant_login.html", {"error": refused.message}, status_code=401)
    answer = RedirectResponse("/merchant", 303)
    answer.set_cookie(
        MERCHANT_COOKIE,
        _payments(request).sealer.seal(key),
        httponly=True,
        samesite="strict",
        path="/merchant",
    )
    return answer


@router.post("/merchant/logout")
async def console_logout() -> Response:
    answer = RedirectResponse("/merchant", 303)
    answer.delete_cookie(MERCHANT_COOKIE, path="/merchant")
    return answer


@router.post("/merchant/payments/{payment_id}/refund")
async def console_refund(request: Request, payment_id: str) -> Response:
    merchant_id = await _merchant(request)
    if merchant_id is None:
        return RedirectResponse("/merchant", 303)
    form = await request.form()
    try:
        amount = int(str(form.get("amount", "")).replace(",", ""))
    except ValueError:
        return RedirectResponse(f"/merchant?{urlencode({'message': _('환불 금액을 숫자로 적으세요')})}", 303)
    body = {"amount": amount, "reason": str(form.get("reason", "")) or None}
    raw = json.dumps(body, sort_keys=True).encode()
    try:
        answer = await actions.refund(
            request.app.state.platform_db,
            _payments(request),
            merchant_id,
            payment_id,
            str(form.get("form_key", ""))[:40] or secrets.token_urlsafe(12),
            raw,
            body,
        )
        message = _(
            "{amount} 환불: {status}",
            amount=format_won(amount),
            status=_(refunds.STATUS_KO.get(answer.body["status"], answer.body["status"])),
        )
    except PaymentsError as refused:
        message = refused.message
    return RedirectResponse(f"/merchant?{urlencode({'message': message})}", 303)


@router.post("/merchant/settle")
async def console_settle(request: Request) -> Response:
    """Run today's settlement for this merchant now (the daily batch does it for every merchant)."""
    merchant_id = await _merchant(request)
    if merchant_id is None:
        return RedirectResponse("/merchant", 303)
    await actions.settle(request.app.state.platform_db, _payments(request), today_kst(), merchant_id)
    return RedirectResponse("/merchant#settlements", 303)


@router.get("/merchant/settlements/{settlement_id}")
async def console_statement(request: Request, settlement_id: str) -> Response:
    merchant_id = await _merchant(request)
    if merchant_id is None:
        return RedirectResponse("/merchant", 303)
    found = await settlement.statement(request.app.state.platform_db, merchant_id, settlement_id)
    return _page(request, "statement.html", {"found": found})


@router.get("/merchant/settlements/{settlement_id}.csv")
async def console_statement_csv(request: Request, settlement_id: str) -> Response:
    merchant_id = await _merchant(request)
    if merchant_id is None:
        return RedirectResponse("/merchant", 303)
    found = await settlement.statement(request.app.state.platform_db, merchant_id, settlement_id)
    return statement_download(found)
