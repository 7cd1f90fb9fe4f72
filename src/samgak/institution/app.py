"""The institution deployable: one member's MyData data-holder API (and its service APIs).

``create_institution_app`` assembles, for one member: 개별인증/통합인증 token endpoints, the
공통 APIs, the 정보제공 APIs of its industry, the transfer API (banks), carrier verification
(the carrier), and the error handlers that keep every error in the standard's shape.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from samgak.config import MemberSettings, Settings
from samgak.institution import carrier, combine, transfer
from samgak.institution.auth import individual
from samgak.institution.auth.tokens import TokenIssuer
from samgak.institution.ca_client import CertificateAuthority
from samgak.institution.calllog import CallEnvelope, CallLog
from samgak.institution.combine import Agency
from samgak.institution.core import Core
from samgak.institution.core.synthetic import MemberKeys, SyntheticCore
from samgak.institution.directory_client import Directory
from samgak.institution.errors import (
    BadParameter,
    InvalidApiCall,
    MyDataError,
    NoSuchUrl,
    OAuthError,
    ProcessingFailed,
    SystemFailure,
)
from samgak.institution.info import bank, card, telecom
from samgak.institution.info.common import common_router
from samgak.institution.state import Institution
from samgak.institution.wire import respond
from samgak.kit.crypto import Sealer, derive_key
from samgak.kit.db import Database
from samgak.kit.ratelimit import RateLimiter
from samgak.kit.rawsql import Reader

log = logging.getLogger(__name__)
INFO_ROUTERS = {"bank": bank.router, "card": card.router, "telecom": telecom.router}
SERVICE_ROUTERS: dict[str, tuple[APIRouter, ...]] = {"bank": (transfer.router,), "telecom": (carrier.router,)}


def member_keys(settings: Settings, member: MemberSettings) -> MemberKeys:
    """The keys a member seals and digests personal data with (derived from the master secret)."""
    master = settings.secret_key.get_secret_value()
    return MemberKeys(
        digest_key=derive_key(master, f"institution/{member.slug}/digest"),
        sealer=Sealer(derive_key(master, f"institution/{member.slug}/seal")),
    )


def build_institution(
    settings: Settings,
    member: MemberSettings,
    *,
    directory: Directory,
    ca: CertificateAuthority,
    core: Core | None = None,
    db: Database | None = None,
    agency: Agency | None = None,
    staff_key: str = "",
) -> Institution:
    keys = member_keys(settings, member)
    cfg = settings.institution
    database = db or Database(settings.institution_database_url(member), pool_size=cfg.pool_size)
    return Institution(
        member=member,
        settings=settings,
        db=database,
        reader=Reader(database.url, pool_size=cfg.pool_size),
        core=core
        or SyntheticCore(member.slug, digest_key=keys.digest_key, sealer=keys.sealer, demo_pin=cfg.demo_pin),
        tokens=TokenIssuer(
            member.org_code,
            derive_key(settings.secret_key.get_secret_value(), f"institution/{member.slug}/token"),
            access_ttl=timedelta(days=cfg.access_token_ttl_days),
            refresh_ttl=timedelta(days=cfg.refresh_token_ttl_days),
        ),
        directory=directory,
        ca=ca,
        digest_key=keys.digest_key,
        limiter=RateLimiter(cfg.rate_limit_per_second, cfg.rate_limit_burst),
        login_limiter=RateLimiter(1 / 60, 10),  # ten sign-ins per phone, then one a minute
        call_log=CallLog(database),
        agency=agency,
        staff_key=staff_key,
    )


def _tran_id(request: Request) -> str:
    return getattr(request.state, "tran_id", None) or request.headers.get("x-api-tran-id", "")


def install_error_handlers(app: FastAPI) -> None:
    """Every error in the standard's shape (첨부1), never FastAPI's ``{"detail": …}``."""

    @app.exception_handler(MyDataError)
    async def mydata_error(request: Request, exc: MyDataError) -> Response:
        return respond({"rsp_code": exc.rsp_code, "rsp_msg": exc.message}, _tran_id(request), exc.status_code)

    @app.exception_handler(OAuthError)
    async def oauth_error(request: Request, exc: OAuthError) -> Response:
        return respond(
            {"error": exc.error, "error_description": exc.description}, _tran_id(request), exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        error = BadParameter(f"요청 형식이 올바르지 않습니다: {where} {first.get('msg', '')}".strip())
        return await mydata_error(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        error: MyDataError = NoSuchUrl() if exc.status_code == 404 else InvalidApiCall(str(exc.detail))
        if exc.status_code not in (404, 405):
            error = BadParameter(str(exc.detail))
        return await mydata_error(request, error)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        log.warning("database error: %s", exc)
        return await mydata_error(
            request, ProcessingFailed("요청을 처리하지 못했습니다. 잠시 후 다시 시도하세요")
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return await mydata_error(request, SystemFailure())


def create_institution_app(institution: Institution) -> FastAPI:
    member = institution.member
    app = FastAPI(
        title=f"{member.org_name} ({member.org_name_en}) — MyData data holder",
        description=(
            f"정보제공자 API of {member.org_name_en}, org code `{member.org_code}`, industry `{member.industry}`. "
            "금융분야 마이데이터 표준 API v1 (SPEC revision of 2022 with v1 paths)."
        ),
        version="1",
    )
    app.state.institution = institution
    install_error_handlers(app)
    app.include_router(INFO_ROUTERS[member.industry])  # first: routes are matched in order, these are hot
    app.include_router(common_router(member.industry))
    app.include_router(individual.router)
    app.include_router(combine.router)
    for router in SERVICE_ROUTERS.get(member.industry, ()):
        app.include_router(router)
    app.add_middleware(
        CallEnvelope,
        call_log=institution.call_log,
        seconds=institution.settings.institution.request_timeout_seconds,
    )
    return app
