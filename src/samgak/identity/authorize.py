"""The authorization endpoint (RFC 6749 §4.1 as FAPI 2.0 §5.3.2.2 narrows it).

Only ``client_id`` and a pushed ``request_uri`` come in (SP-AZ-2/3): anything else is an error
page, never a redirect to an unchecked URI (RFC-RU-2). The pushed request may be reloaded until
the person decides, then it is spent (SP-AZ-N3). The person signs in (carrier proofing, then
passkeys), sees the client and the scopes (SP-AZ-13), and the answer goes back with ``iss``
(RFC 9207, SP-AZ-7) by 303 (SP-AZ-10). Codes live 60 s (SP-AS-11).
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from samgak.identity import accounts
from samgak.identity.accounts import COOKIE
from samgak.identity.models import (
    IdentityAuthorizationCode,
    IdentityGrant,
    IdentityParRequest,
    IdentitySession,
)
from samgak.identity.pages import SECURITY_HEADERS
from samgak.identity.par import REQUEST_URI_PREFIX
from samgak.identity.provider import Provider, get_provider, unit_of_work
from samgak.identity.repository import IdentityRepository, PushedView
from samgak.identity.scopes import readable
from samgak.kit.crypto import secret_digest
from samgak.kit.timeutil import coerce_datetime, utcnow

router = APIRouter(tags=["identity"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
CODE_LIFETIME = timedelta(seconds=60)


def _error_page(request: Request, message: str) -> Response:
    return templates.TemplateResponse(
        request, "error.html", {"message": message}, status_code=400, headers=SECURITY_HEADERS
    )


def _csrf(provider: Provider, cookie: str, reference: str) -> str:
    return hmac.new(provider.keys.digest_key, f"{cookie}|{reference}".encode(), "sha256").hexdigest()


def _usable(pushed: IdentityParRequest | PushedView | None, client_id: str | None) -> bool:
    """Pushed for this client, not yet spent, not expired."""
    expires = coerce_datetime(pushed.expires_at) if pushed else None
    return (
        pushed is not None
        and pushed.client_id == client_id
        and pushed.used_at is None
        and expires is not None
        and expires >= utcnow()
    )


def _reference(request_uri: str | None) -> str | None:
    if not request_uri or not request_uri.startswith(REQUEST_URI_PREFIX):
        return None
    return request_uri[len(REQUEST_URI_PREFIX) :]


@router.get("/authorize", summary="Authorization endpoint (PAR only)")
async def authorize(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    params = dict(request.query_params)
    if set(params) - {"client_id", "request_uri"} or "request_uri" not in params:
        return _error_page(request, "이 요청은 PAR(pushed authorization request)로만 받을 수 있습니다")
    cookie = request.cookies.get(COOKIE)
    reference = _reference(params.get("request_uri"))
    # One read: the pushed request, the browser session and this app's live grant together.
    pushed = await provider.reads.pushed(reference, secret_digest(cookie or "")) if reference else None
    if pushed is None or not _usable(pushed, params.get("client_id")):
        return _error_page(request, "요청이 만료되었거나 이미 사용되었습니다")
    browser = pushed.session
    if browser is None or cookie is None or not accounts.is_live(browser):
        return RedirectResponse(
            f"/id/start?{urlencode({'next': f'/oidc/authorize?{urlencode(params)}'})}", 303
        )
    scopes = json.loads(pushed.params).get("scope", "").split()
    if pushed.granted_scope is not None and set(scopes) <= set(pushed.granted_scope.split()):
        # Single sign-on: signed in, and this app already has these scopes — no second prompt.
        return await _answer(session, provider, pushed, browser, approve=True)
    party = await provider.parties.get(session, pushed.client_id)
    account = await IdentityRepository(session).account(browser.subject)
    assert party is not None and account is not None
    return templates.TemplateResponse(
        request,
        "consent.html",
        {
            "client_name": party.name,
            "account_name": account.name,
            "reference": pushed.id,
            "scopes": readable(" ".join(scopes)),
            "csrf": _csrf(provider, cookie, pushed.id),
        },
        headers=SECURITY_HEADERS,
    )


@router.post("/authorize/decision", include_in_schema=False)
async def decide(
    request: Request,
    reference: str = Form("", alias="request"),
    csrf: str = Form(""),
    decision: str = Form(""),
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    cookie = request.cookies.get(COOKIE)
    browser = await accounts.live_session(session, cookie)
    repo = IdentityRepository(session)
    pushed = await repo.par_request(reference)
    if (
        browser is None
        or cookie is None
        or pushed is None
        or not hmac.compare_digest(csrf, _csrf(provider, cookie, reference))
    ):
        return _error_page(request, "세션이 만료되었습니다. 이용하던 앱에서 다시 시작하세요")
    if not _usable(pushed, pushed.client_id):
        return _error_page(request, "요청이 만료되었거나 이미 사용되었습니다")
    return await _answer(session, provider, pushed, browser, approve=decision == "approve")


async def _answer(
    session: AsyncSession,
    provider: Provider,
    pushed: IdentityParRequest | PushedView,
    browser: IdentitySession,
    *,
    approve: bool,
) -> Response:
    """Spend the pushed request and send the person back with a code (or ``access_denied``)."""
    repo = IdentityRepository(session)
    now = utcnow()
    params = json.loads(pushed.params)
    if not await repo.use_par_request(pushed.id, now):
        return RedirectResponse("/id/account", status_code=303)
    answer: dict[str, str] = {"state": params["state"]} if "state" in params else {}
    if not approve:
        answer |= {"error": "access_denied", "iss": provider.issuer}
        return RedirectResponse(_with_query(params["redirect_uri"], answer), status_code=303)
    grant = IdentityGrant(
        id=secrets.token_urlsafe(24),
        client_id=pushed.client_id,
        subject=browser.subject,
        scope=params["scope"],
        acr=browser.acr,
        amr=browser.amr,
        auth_time=browser.auth_time,
        refresh_digest=None,
        created_at=now,
        revoked_at=None,
    )
    await repo.add(grant)
    code = secrets.token_urlsafe(32)
    await repo.add(
        IdentityAuthorizationCode(
            code_digest=secret_digest(code),
            grant_id=grant.id,
            client_id=pushed.client_id,
            redirect_uri=params["redirect_uri"],
            code_challenge=params["code_challenge"],
            nonce=params.get("nonce"),
            dpop_jkt=pushed.dpop_jkt,
            expires_at=now + CODE_LIFETIME,
            used_at=None,
        )
    )
    answer |= {"code": code, "iss": provider.issuer}
    return RedirectResponse(_with_query(params["redirect_uri"], answer), status_code=303)


def _with_query(uri: str, values: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(values)}"
