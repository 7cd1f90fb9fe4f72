"""개별인증 — individual authentication (MyData standard 3.3; OAuth 2.0 authorization code).

* 개별인증-001 ``GET /oauth/2.0/authorize``: checks the client and redirect URI (errors as JSON
  400), then the rest (errors by redirect), keeps ``x-user-ci`` and answers ``302`` to the
  holder's own sign-in page (web flow). After sign-in the holder compares the customer's CI
  with ``x-user-ci``, shows the consent screen (assets, purpose, period, schedule), stores the
  consent and redirects to the callback with ``code``, ``state`` and ``api_tran_id``.
* 개별인증-002/003 ``POST /oauth/2.0/token`` (``authorization_code`` / ``refresh_token``), and the
  ``password`` grant of 통합인증-002 (:mod:`.integrated`).
* 개별인증-004 ``POST /oauth/2.0/revoke``: revokes the access *and* refresh token (consent withdrawn).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from samgak.institution.auth.clients import authenticate_client, registered_service
from samgak.institution.auth.consent import (
    ConsentTerms,
    access_token_body,
    issue_tokens,
    scope_for,
    store_consent,
)
from samgak.institution.auth.integrated import integrated_token
from samgak.institution.directory_client import RegisteredService
from samgak.institution.errors import MyDataError, OAuthError
from samgak.institution.info.base import unit_of_work
from samgak.institution.models import GwAuthorization
from samgak.institution.repository import GatewayRepository
from samgak.institution.state import INDUSTRY_SCOPES, Institution, get_institution
from samgak.institution.wire import OK, respond
from samgak.kit.crypto import equals, secret_digest
from samgak.kit.money import format_won
from samgak.kit.timeutil import coerce_datetime, today_kst, utcnow, years_after

router = APIRouter(tags=["개별인증 (individual authentication)"])
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
templates.env.filters["won"] = format_won
MAX_LOGIN_FAILURES = 5
# The holder's sign-in and consent pages: never framed (clickjacking), no referrer, not cached.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
KIND_NAMES = {"deposit": "예금·적금", "loan": "대출", "card": "카드", "telecom": "통신 계약"}
EXTRA_SCOPES = {"card.point": "카드 포인트", "card.bill": "카드 청구·결제 정보"}


def _redirect(uri: str, **params: str | None) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)


@router.get("/oauth/2.0/authorize", summary="개별인증-001 인가코드 발급 요청")
async def authorize(
    request: Request,
    org_code: str | None = None,
    response_type: str | None = None,
    client_id: str | None = None,
    redirect_uri: str | None = None,
    app_scheme: str | None = None,
    state: str | None = None,
    institution: Institution = Depends(get_institution),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    tran_id = request.headers.get("x-api-tran-id") or f"{institution.org_code}M{secrets.token_hex(7).upper()}"
    service = await registered_service(institution, client_id)
    if service is None or not redirect_uri or redirect_uri not in service.redirect_uris:
        body = {
            "error": "unauthorized_client" if service is None else "invalid_request",
            "error_description": "등록되지 않은 client_id 또는 redirect_uri 입니다",
            "state": state,
            "api_tran_id": tran_id,
        }
        return respond({k: v for k, v in body.items() if v is not None}, tran_id, 400)
    error: tuple[str, str] | None = None
    user_ci = request.headers.get("x-user-ci")
    if response_type != "code":
        error = ("unsupported_response_type", "response_type은 code여야 합니다")
    elif org_code != institution.org_code:
        error = ("invalid_request", "기관코드를 확인할 수 없습니다")
    elif not state or len(state) > 40:
        error = ("invalid_request", "state 값이 올바르지 않습니다")
    elif not user_ci:
        error = ("invalid_request", "x-user-ci 헤더가 없습니다")
    if error:
        return _redirect(
            redirect_uri, error=error[0], error_description=error[1], state=state, api_tran_id=tran_id
        )
    now = utcnow()
    authorization_id = secrets.token_urlsafe(32)
    await GatewayRepository(session).add_authorization(
        id=authorization_id,
        client_id=service.client_id,
        redirect_uri=redirect_uri,
        state=state,
        api_tran_id=tran_id[:25],
        user_ci_digest=institution.digest(user_ci or ""),
        created_at=now,
        expires_at=now + timedelta(seconds=institution.settings.institution.authorization_code_ttl_seconds),
    )
    return RedirectResponse(f"{institution.base_url}/oauth/2.0/authorize/{authorization_id}", status_code=302)


async def _pending(session: AsyncSession, authorization_id: str) -> GwAuthorization:
    authorization = await GatewayRepository(session).authorization(authorization_id)
    expires = coerce_datetime(authorization.expires_at) if authorization else None
    if authorization is None or authorization.code_digest or expires is None or expires < utcnow():
        raise OAuthError("invalid_request", "인증 요청이 만료되었습니다. 처음부터 다시 시도하세요", 400)
    return authorization


async def _consent_context(
    institution: Institution, session: AsyncSession, authorization: GwAuthorization
) -> dict[str, Any]:
    service = await registered_service(institution, authorization.client_id)
    assert authorization.customer_id is not None and service is not None
    await institution.core.ensure_history(session, authorization.customer_id)
    assets = await GatewayRepository(session).assets(
        authorization.customer_id, ("deposit", "loan", "card", "telecom")
    )
    extras = [s for s in INDUSTRY_SCOPES[institution.industry] if s in EXTRA_SCOPES]
    today = today_kst()
    return {
        "assets": [
            {
                "id": a.id,
                "key": a.asset_key,
                "kind": KIND_NAMES[a.kind],
                "detail": json.loads(a.detail),
                "balance": a.balance_amt,
                "closed": a.status in ("02", "04", "09"),
            }
            for a in assets
        ],
        "extras": [(s, EXTRA_SCOPES[s]) for s in extras],
        "service": service,
        "end_date": f"{years_after(today, 1):%Y-%m-%d}",
        "purpose": f"{service.service_name} 서비스 제공 (자산 통합조회 및 분석)",
    }


@router.get("/oauth/2.0/authorize/{authorization_id}", include_in_schema=False)
async def authorize_page(
    request: Request,
    authorization_id: str,
    institution: Institution = Depends(get_institution),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    authorization = await _pending(session, authorization_id)
    context: dict[str, Any] = {"institution": institution, "authorization": authorization, "error": None}
    if authorization.customer_id is None:
        return templates.TemplateResponse(request, "authorize_login.html", context, headers=PAGE_HEADERS)
    context |= await _consent_context(institution, session, authorization)
    return templates.TemplateResponse(request, "authorize_consent.html", context, headers=PAGE_HEADERS)


@router.post("/oauth/2.0/authorize/{authorization_id}/login", include_in_schema=False)
async def authorize_login(
    request: Request,
    authorization_id: str,
    phone: str = Form(""),
    birth_date: str = Form(""),
    pin: str = Form(""),
    institution: Institution = Depends(get_institution),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    authorization = await _pending(session, authorization_id)
    digits = "".join(ch for ch in phone if ch.isdigit())
    birth = "".join(ch for ch in birth_date if ch.isdigit())
    if not institution.login_limiter.allow(institution.digest(digits)):
        context = {
            "institution": institution,
            "authorization": authorization,
            "error": "인증 시도가 너무 많습니다. 10분 후 다시 시도하세요",
        }
        return templates.TemplateResponse(
            request, "authorize_login.html", context, status_code=429, headers=PAGE_HEADERS
        )
    customer_id = await institution.core.authenticate(session, phone=digits, birth_date=birth, pin=pin)
    if customer_id is None:
        authorization.failed_logins += 1
        if authorization.failed_logins >= MAX_LOGIN_FAILURES:
            authorization.expires_at = utcnow()
            return _redirect(
                authorization.redirect_uri,
                error="access_denied",
                error_description="본인인증 실패 횟수를 초과했습니다",
                state=authorization.state,
                api_tran_id=authorization.api_tran_id,
            )
        context = {
            "institution": institution,
            "authorization": authorization,
            "error": f"입력하신 정보가 일치하지 않습니다 ({authorization.failed_logins}/{MAX_LOGIN_FAILURES}회)",
        }
        return templates.TemplateResponse(
            request, "authorize_login.html", context, status_code=401, headers=PAGE_HEADERS
        )
    customer_ci = await institution.core.customer_ci(session, customer_id)
    if not equals(institution.digest(customer_ci), authorization.user_ci_digest):
        authorization.expires_at = utcnow()
        return _redirect(
            authorization.redirect_uri,
            error="access_denied",
            error_description="마이데이터 서비스에 가입한 본인과 인증한 고객이 다릅니다",
            state=authorization.state,
            api_tran_id=authorization.api_tran_id,
        )
    authorization.customer_id = customer_id
    return RedirectResponse(f"{institution.base_url}/oauth/2.0/authorize/{authorization_id}", status_code=303)


@router.post("/oauth/2.0/authorize/{authorization_id}/consent", include_in_schema=False)
async def authorize_consent(
    request: Request,
    authorization_id: str,
    institution: Institution = Depends(get_institution),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    authorization = await _pending(session, authorization_id)
    if authorization.customer_id is None:
        raise OAuthError("invalid_request", "본인인증이 먼저 필요합니다", 400)
    form = await request.form()
    if form.get("decision") != "agree":
        authorization.expires_at = utcnow()
        return _redirect(
            authorization.redirect_uri,
            error="access_denied",
            error_description="고객이 동의하지 않았습니다",
            state=authorization.state,
            api_tran_id=authorization.api_tran_id,
        )
    owned = {
        a.id: a
        for a in await GatewayRepository(session).assets(
            authorization.customer_id, ("deposit", "loan", "card", "telecom")
        )
    }
    picked = [str(v) for v in form.getlist("asset")]
    chosen = [owned[int(v)] for v in picked if v.isdigit() and int(v) in owned]
    extras = [str(s) for s in form.getlist("scope")]
    scheduled = form.get("is_scheduled") == "true"
    cycle = str(form.get("cycle") or "1/w") if form.get("cycle") in ("1/w", "1/m") else "1/w"
    latest = years_after(today_kst(), 1)
    end_date = str(form.get("end_date") or "").replace("-", "")
    if not (
        end_date.isdigit() and len(end_date) == 8 and f"{today_kst():%Y%m%d}" < end_date <= f"{latest:%Y%m%d}"
    ):
        end_date = f"{latest:%Y%m%d}"  # 전송요구 lasts at most a year (standard 2.7)
    service = await registered_service(institution, authorization.client_id)
    assert service is not None
    terms = ConsentTerms(
        is_scheduled=scheduled,
        fnd_cycle=cycle if scheduled else None,
        add_cycle=cycle if scheduled else None,
        end_date=end_date,
        purpose=str(form.get("purpose") or f"{service.service_name} 서비스 제공")[:100],
        period=1,
        is_consent_trans_memo=form.get("trans_memo") == "true",
        is_consent_merchant_name_regno=form.get("merchant_regno") == "true",
    )
    scope = scope_for(institution, {a.kind for a in chosen}, extras)
    code = secrets.token_urlsafe(48)
    authorization.consent_id = await store_consent(
        session,
        customer_id=authorization.customer_id,
        service=service,
        terms=terms,
        asset_ids=[a.id for a in chosen],
        scope=scope,
    )
    authorization.code_digest = secret_digest(code)
    return _redirect(
        authorization.redirect_uri,
        code=code,
        state=authorization.state,
        api_tran_id=authorization.api_tran_id,
    )


@router.post("/oauth/2.0/token", summary="개별인증-002/003, 통합인증-002 접근토큰 발급·갱신")
async def token(
    request: Request,
    institution: Institution = Depends(get_institution),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    tran_id = request.headers.get("x-api-tran-id") or f"{institution.org_code}M{secrets.token_hex(7).upper()}"
    form = {k: str(v) for k, v in (await request.form()).items()}
    if form.get("org_code") != institution.org_code:
        raise OAuthError("invalid_request", "기관코드를 확인할 수 없습니다")
    grant_type = form.get("grant_type")
    if grant_type not in ("authorization_code", "refresh_token", "password", "client_credentials"):
        raise OAuthError("unsupported_grant_type", "지원하지 않는 grant_type 입니다")
    service = await authenticate_client(institution, form.get("client_id"), form.get("client_secret"))
    if grant_type == "client_credentials":
        body = await _client_token(session, institution, service, form)
    elif grant_type == "authorization_code":
        body = await _exchange_code(session, institution, service, form)
    elif grant_type == "refresh_token":
        body = await _refresh(session, institution, service, form)
    else:
        body = await integrated_token(session, institution, service, form)
    return respond(body, tran_id)


SERVICE_SCOPES = {"bank": "transfer", "telecom": "carrier"}


async def _client_token(
    session: AsyncSession, institution: Institution, service: RegisteredService, form: dict[str, str]
) -> dict[str, Any]:
    """Client credentials (RFC 6749 §4.4) for the member's service APIs: ``transfer`` at banks,
    ``carrier`` at the carrier. The service must be registered for that scope; no refresh token."""
    wanted = form.get("scope", "")
    if wanted != SERVICE_SCOPES.get(institution.industry) or wanted not in service.scopes:
        raise OAuthError("invalid_scope", f"{wanted or '(없음)'} 범위를 발급할 수 없습니다")
    return await issue_tokens(
        session,
        institution,
        consent_id=None,
        customer_id=None,
        service=service,
        scope=wanted,
        with_refresh=False,
    )


async def _exchange_code(
    session: AsyncSession, institution: Institution, service: RegisteredService, form: dict[str, str]
) -> dict[str, Any]:
    """개별인증-002: a code is single-use, bound to its client and redirect URI, valid ≤ 10 minutes."""
    repo = GatewayRepository(session)
    authorization = await repo.authorization_by_code(secret_digest(form.get("code", "")))
    now = utcnow()
    expires = coerce_datetime(authorization.expires_at) if authorization else None
    if (
        authorization is None
        or authorization.client_id != service.client_id
        or expires is None
        or expires < now
        or authorization.consent_id is None
    ):
        raise OAuthError("invalid_grant", "인가코드가 올바르지 않거나 만료되었습니다")
    if authorization.redirect_uri != form.get("redirect_uri"):
        raise OAuthError("invalid_grant", "redirect_uri가 인가요청과 다릅니다")
    if not await repo.mark_code_used(authorization.id, now):
        raise OAuthError("invalid_grant", "이미 사용한 인가코드입니다")
    consent = await repo.consent(authorization.consent_id)
    assert consent is not None
    return await issue_tokens(
        session,
        institution,
        consent_id=consent.id,
        customer_id=consent.customer_id,
        service=service,
        scope=consent.scope,
    )


async def _refresh(
    session: AsyncSession, institution: Institution, service: RegisteredService, form: dict[str, str]
) -> dict[str, Any]:
    """개별인증-003: a new access token for the same grant while the refresh token lives (≤ 1 year)."""
    repo = GatewayRepository(session)
    grant = await repo.grant_by_refresh(secret_digest(form.get("refresh_token", "")))
    now = utcnow()
    expires = coerce_datetime(grant.refresh_expires_at) if grant else None
    if (
        grant is None
        or grant.client_id != service.client_id
        or grant.revoked_at is not None
        or not expires
        or expires < now
    ):
        raise OAuthError("invalid_grant", "리프레시 토큰이 올바르지 않거나 만료·폐기되었습니다")
    access, jti, access_expires = institution.tokens.issue_access(
        aud=service.org_code, scope=grant.scope, now=now
    )
    await repo.rotate_access(grant.id, jti, access_expires)
    return access_token_body(institution, access, grant.scope)


@router.post("/oauth/2.0/revoke", summary="개별인증-004 접근토큰 폐기")
async def revoke(
    request: Request,
    institution: Institution = Depends(get_institution),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> Response:
    """Revokes the grant (access and refresh token) and ends its consent; unknown tokens → 99999."""
    tran_id = request.headers.get("x-api-tran-id") or f"{institution.org_code}M{secrets.token_hex(7).upper()}"
    form = {k: str(v) for k, v in (await request.form()).items()}
    if form.get("org_code") != institution.org_code:
        raise OAuthError("invalid_request", "기관코드를 확인할 수 없습니다")
    service = await authenticate_client(institution, form.get("client_id"), form.get("client_secret"))
    repo = GatewayRepository(session)
    presented = form.get("token", "")
    grant = await repo.grant_by_refresh(secret_digest(presented))
    if grant is None:
        try:
            grant = await repo.grant_by_jti(institution.tokens.verify(presented).jti)
        except MyDataError:
            grant = None
    if grant is None or grant.client_id != service.client_id or grant.revoked_at is not None:
        return respond({"rsp_code": "99999", "rsp_msg": "유효하지 않은 토큰"}, tran_id)
    now = utcnow()
    await repo.revoke_grant(grant.id, now)
    if grant.consent_id is not None:
        await repo.supersede([grant.consent_id], now)
    return respond(dict(OK), tran_id)
