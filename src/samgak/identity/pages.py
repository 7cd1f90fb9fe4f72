"""Sign-up and sign-in by carrier proofing, the account page, sign-out everywhere (Korean pages).

Checklist items handled here: RFC-OR (``next`` only as a same-site path), RFC-CJ (no framing),
RFC-REF (``Referrer-Policy: no-referrer``), SP-AZ-10 (303 after a POST, never 307), and no
account enumeration (the carrier answers alike for anyone; the code page never says whether the
person exists).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, RedirectResponse, Response

from samgak import directory
from samgak.identity import accounts, ca, passkeys, step_up
from samgak.identity.accounts import COOKIE
from samgak.identity.carrier_client import CarrierRefused, CarrierUnavailable
from samgak.identity.provider import Provider, get_provider, unit_of_work
from samgak.identity.repository import IdentityRepository
from samgak.identity.scopes import readable
from samgak.kit.timeutil import KST, utcnow

router = APIRouter(prefix="/id", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _with_session(response: Response, secret: str, provider: Provider) -> Response:
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=provider.issuer.startswith("https"),
        max_age=int(accounts.SESSION_TTL.total_seconds()),
        path="/",
    )
    return response


def _login_required() -> JSONResponse:
    return JSONResponse({"error": "login_required", "error_description": "로그인이 필요합니다"}, 401)


def safe_next(value: str | None) -> str:
    """A same-site path to return to; anything else goes to the account page (RFC 9700 §4.11)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\\" not in value:
        return value
    return "/id/account"


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=SECURITY_HEADERS
    )


@router.get("/start")
async def start_page(request: Request, next: str | None = None) -> Response:
    return _page(request, "start.html", {"next": safe_next(next), "error": None})


@router.post("/start")
async def start(
    request: Request,
    name: str = Form(""),
    birth_date: str = Form(""),
    phone: str = Form(""),
    next: str = Form("/id/account"),
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    digits = "".join(ch for ch in phone if ch.isdigit())
    birth = "".join(ch for ch in birth_date if ch.isdigit())
    context = {"next": safe_next(next), "name": name, "birth_date": birth, "phone": digits}
    if not provider.address_limiter.allow(f"start:{_address(request)}"):
        return _page(
            request, "start.html", context | {"error": "요청이 너무 많습니다. 잠시 후 다시 시도하세요"}, 429
        )
    if not name.strip() or len(birth) != 8 or not digits.startswith("01") or not 10 <= len(digits) <= 11:
        return _page(
            request, "start.html", context | {"error": "이름, 생년월일 8자리, 휴대폰 번호를 확인하세요"}, 400
        )
    try:
        proofing_id = await accounts.start_proofing(
            session,
            provider.carrier,
            provider.keys,
            name=name.strip(),
            birth_date=birth,
            phone=digits,
            next_url=safe_next(next),
        )
    except CarrierRefused as refused:
        return _page(
            request, "start.html", context | {"error": str(refused)}, 429 if not refused.retry else 400
        )
    except CarrierUnavailable:
        return _page(
            request,
            "start.html",
            context | {"error": "통신사 본인확인을 잠시 이용할 수 없습니다. 잠시 후 다시 시도하세요"},
            503,
        )
    return RedirectResponse(f"/id/verify/{proofing_id}", status_code=303)


@router.get("/verify/{proofing_id}")
async def verify_page(
    request: Request,
    proofing_id: str,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    proofing = await accounts.pending_proofing(session, proofing_id)
    if proofing is None:
        return RedirectResponse("/id/start", status_code=303)
    phone_page = provider.demo_phone_page(provider.keys.sealer.open(proofing.phone_sealed))
    return _page(
        request, "verify.html", {"proofing_id": proofing_id, "phone_page": phone_page, "error": None}
    )


@router.post("/verify/{proofing_id}")
async def verify(
    request: Request,
    proofing_id: str,
    code: str = Form(""),
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    proofing = await accounts.pending_proofing(session, proofing_id)
    if proofing is None:
        return RedirectResponse("/id/start", status_code=303)
    try:
        account = await accounts.finish_proofing(
            session, provider.carrier, provider.keys, proofing, code.strip()
        )
    except CarrierRefused as refused:
        if not refused.retry:
            proofing.used_at = utcnow()
            return _page(request, "start.html", {"next": proofing.next_url, "error": str(refused)}, 403)
        phone_page = provider.demo_phone_page(provider.keys.sealer.open(proofing.phone_sealed))
        return _page(
            request,
            "verify.html",
            {"proofing_id": proofing_id, "phone_page": phone_page, "error": str(refused)},
            400,
        )
    except CarrierUnavailable:
        return _page(
            request,
            "verify.html",
            {
                "proofing_id": proofing_id,
                "phone_page": None,
                "error": "통신사 본인확인을 잠시 이용할 수 없습니다",
            },
            503,
        )
    secret = await accounts.open_session(session, account, acr=accounts.CARRIER_ACR, amr="sms")
    return _with_session(RedirectResponse(proofing.next_url, status_code=303), secret, provider)


@router.get("/account")
async def account_page(
    request: Request, session: AsyncSession = Depends(unit_of_work, scope="function")
) -> Response:
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    if current is None:
        return RedirectResponse("/id/start?next=/id/account", status_code=303)
    account, browser = current
    provider: Provider = request.app.state.identity
    phone = provider.keys.sealer.open(account.phone_sealed)
    repo = IdentityRepository(session)
    sessions = await repo.sessions_of(account.subject, utcnow())
    keys = await repo.passkeys_of(account.subject)
    apps = []
    for grant in await repo.live_grants_of(account.subject):
        party = await directory.get_relying_party(session, grant.client_id)
        apps.append(
            {
                "id": grant.id,
                "name": party.name if party else grant.client_id,
                "scope": ", ".join(readable(grant.scope)),
                "since": grant.created_at.astimezone(KST),
            }
        )
    return _page(
        request,
        "account.html",
        {
            "account": account,
            "phone": f"{phone[:3]}-****-{phone[-4:]}",
            "proven_at": f"{account.proven_at.astimezone(KST):%Y-%m-%d}",
            "sessions": [
                {"auth_time": s.auth_time.astimezone(KST), "current": s.id_digest == browser.id_digest}
                for s in sessions
            ],
            "apps": apps,
            "passkeys": [
                {
                    "created_at": k.created_at.astimezone(KST),
                    "last_used_at": k.last_used_at.astimezone(KST) if k.last_used_at else None,
                }
                for k in keys
            ],
        },
    )


@router.post("/grants/{grant_id}/revoke")
async def revoke_grant(
    request: Request, grant_id: str, session: AsyncSession = Depends(unit_of_work, scope="function")
) -> Response:
    """Disconnect one member app: its tokens stop working at once."""
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    repo = IdentityRepository(session)
    grant = await repo.grant(grant_id)
    if current is not None and grant is not None and grant.subject == current[0].subject:
        await repo.revoke_grant(grant_id, utcnow())
    return RedirectResponse("/id/account", status_code=303)


@router.post("/signout")
async def sign_out(
    request: Request, session: AsyncSession = Depends(unit_of_work, scope="function")
) -> Response:
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    if current is not None:
        await accounts.sign_out_everywhere(session, current[0].subject)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/passkeys/register/options")
async def passkey_register_options(
    request: Request, session: AsyncSession = Depends(unit_of_work, scope="function")
) -> Response:
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    if current is None:
        return _login_required()
    return JSONResponse(await passkeys.registration_options(session, request.app.state.settings, current[0]))


@router.post("/passkeys/register")
async def passkey_register(
    request: Request, session: AsyncSession = Depends(unit_of_work, scope="function")
) -> Response:
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    if current is None:
        return _login_required()
    body = await request.json()
    passkey = await passkeys.register(
        session,
        request.app.state.settings,
        current[0],
        str(body.get("challenge_id", "")),
        body.get("credential") or {},
    )
    return JSONResponse({"credential_id": passkey.credential_id}, 201)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/passkeys/sign-in/options")
async def passkey_sign_in_options(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    provider.check_rate(provider.address_limiter, f"passkey:{_address(request)}")
    return JSONResponse(await passkeys.sign_in_options(session, request.app.state.settings))


@router.post("/passkeys/sign-in")
async def passkey_sign_in(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    body = await request.json()
    account = await passkeys.sign_in(
        session, request.app.state.settings, str(body.get("challenge_id", "")), body.get("credential") or {}
    )
    secret = await accounts.open_session(session, account, acr=passkeys.PASSKEY_ACR, amr=passkeys.PASSKEY_AMR)
    return _with_session(JSONResponse({"next": safe_next(body.get("next"))}), secret, provider)


@router.post("/step-up/options")
async def step_up_options(
    request: Request, session: AsyncSession = Depends(unit_of_work, scope="function")
) -> Response:
    """Start a payment approval: the passkey challenge binds amount, payee and reference."""
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    if current is None:
        return _login_required()
    payload = await request.json()
    return JSONResponse(
        await step_up.step_up_options(session, request.app.state.settings, current[0], payload)
    )


@router.post("/step-up")
async def step_up_finish(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    if current is None:
        return _login_required()
    receipt = await step_up.step_up(
        session, request.app.state.settings, provider, current[0], await request.json()
    )
    return JSONResponse({"receipt": receipt})


async def _sign_request_of(
    request: Request, session: AsyncSession, provider: Provider, cert_tx_id: str
) -> tuple[Any, Any] | Response:
    """The signed-in person and their pending sign request, or the answer that says why not."""
    current = await accounts.signed_in(session, request.cookies.get(COOKIE))
    if current is None:
        return _login_required()
    pending = await ca.pending_sign_request(session, provider, current[0], cert_tx_id)
    if pending is None:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "서명 요청이 없거나 만료되었습니다"}, 404
        )
    return current[0], pending


@router.get("/sign/{cert_tx_id}")
async def sign_page(
    request: Request,
    cert_tx_id: str,
    next: str | None = None,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    """통합인증: the bundle the person is asked to sign, and one passkey assertion to sign it."""
    here = f"/id/sign/{cert_tx_id}?{urlencode({'next': safe_next(next)})}"
    if await accounts.signed_in(session, request.cookies.get(COOKIE)) is None:
        return RedirectResponse(f"/id/start?{urlencode({'next': here})}", 303)
    found = await _sign_request_of(request, session, provider, cert_tx_id)
    if isinstance(found, Response):
        return _page(request, "error.html", {"message": "서명 요청이 없거나 만료되었습니다"}, 404)
    _account, pending = found
    titles = [c["consent_title"] for c in json.loads(pending.consents)]
    return _page(
        request,
        "sign.html",
        {"cert_tx_id": cert_tx_id, "title": pending.title, "consents": titles, "next": safe_next(next)},
    )


@router.post("/sign/{cert_tx_id}/options")
async def sign_options(
    request: Request,
    cert_tx_id: str,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    """통합인증: what the person is asked to sign (the bundle) and the passkey options binding it."""
    found = await _sign_request_of(request, session, provider, cert_tx_id)
    if isinstance(found, Response):
        return found
    account, pending = found
    return JSONResponse(await ca.signing_options(session, provider, account, pending))


@router.post("/sign/{cert_tx_id}")
async def sign_bundle(
    request: Request,
    cert_tx_id: str,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    found = await _sign_request_of(request, session, provider, cert_tx_id)
    if isinstance(found, Response):
        return found
    account, pending = found
    body = await request.json()
    await ca.sign(
        session,
        provider,
        account,
        pending,
        str(body.get("challenge_id", "")),
        body.get("credential") or {},
    )
    return JSONResponse({"signed": True})
