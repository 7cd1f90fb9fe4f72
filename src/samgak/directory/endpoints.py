"""HTTP face of the directory: the public member list and the portal's 지원 APIs (3.6).

Expects, on ``request.app.state``: ``platform_db`` (a :class:`samgak.kit.db.Database`) and
``settings`` (a :class:`samgak.config.Settings`); and :func:`directory_error_handler` installed
for :class:`DirectoryError`. No route declares validated parameters, so FastAPI's own
``{"detail": …}`` body never appears: every failure is the standard's shape.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from samgak.config import Settings
from samgak.directory import service
from samgak.directory.errors import (
    InvalidParameter,
    InvalidRequest,
    InvalidScope,
    InvalidToken,
    MissingHeader,
    UnsupportedGrantType,
)
from samgak.directory.schemas import (
    MgmtOrgList,
    MgmtServiceList,
    PublicOrg,
    SupportToken,
    SupportTokenClaims,
)
from samgak.kit.db import Database, ReadSession, WriteSession

_TRAN_ID = re.compile(r"^[0-9A-Za-z]{1,25}$")


async def get_session(request: Request) -> AsyncIterator[WriteSession]:
    """A write session in a unit of work on ``app.state.platform_db``: commits on success."""
    db: Database = request.app.state.platform_db
    async with db.unit_of_work() as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[ReadSession]:
    """A read session on ``app.state.platform_db`` (never committed)."""
    db: Database = request.app.state.platform_db
    async with db.read_sessions() as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": the unit of work commits before the response leaves, not after.
WriteSessionDep = Annotated[WriteSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[ReadSession, Depends(get_read_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def support_caller(request: Request, response: Response, settings: SettingsDep) -> SupportTokenClaims:
    """The 지원 API caller: ``x-api-tran-id`` present (40002, echoed back) and a support token (40101)."""
    tran_id = request.headers.get("x-api-tran-id")
    if not tran_id:
        raise MissingHeader("헤더값 없음: x-api-tran-id")
    if not _TRAN_ID.match(tran_id):
        raise InvalidParameter("x-api-tran-id must be AN(25)")
    response.headers["x-api-tran-id"] = tran_id
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("잘못된 토큰")
    return service.verify_support_token(settings, token.strip())


SupportCaller = Annotated[SupportTokenClaims, Depends(support_caller)]

router = APIRouter()


# --------------------------------------------------------------------------- public


@router.get("/api/directory/orgs", response_model=list[PublicOrg], tags=["directory"])
async def list_public_orgs(session: ReadSessionDep) -> list[PublicOrg]:
    """The alliance members (정보제공자), ordered by org code."""
    return await service.public_orgs(session)


@router.get("/api/directory/orgs/{org_code}", response_model=PublicOrg, tags=["directory"])
async def get_public_org(org_code: str, session: ReadSessionDep) -> PublicOrg:
    return await service.get_public_org(session, org_code)


# --------------------------------------------------------------------------- 지원 API (portal)


@router.post("/portal/mgmts/oauth/2.0/token", response_model=SupportToken, tags=["지원 API"])
async def issue_support_token(
    request: Request, response: Response, session: WriteSessionDep, settings: SettingsDep
) -> SupportToken:
    """지원-001 접근토큰 발급: ``client_credentials`` with ``scope=manage`` (form-encoded)."""
    try:
        form = await request.form()
    except Exception as exc:  # a body that is not a form at all
        raise InvalidRequest("the body must be application/x-www-form-urlencoded") from exc
    fields = {
        k: v
        for k in ("grant_type", "client_id", "client_secret", "scope")
        if isinstance(v := form.get(k), str)
    }
    missing = [k for k in ("grant_type", "client_id", "client_secret", "scope") if not fields.get(k)]
    if missing:
        raise InvalidRequest(f"missing {', '.join(missing)}")
    if fields["grant_type"] != "client_credentials":
        raise UnsupportedGrantType("grant_type must be client_credentials")
    if fields["scope"] != service.SUPPORT_SCOPE:
        raise InvalidScope("scope must be manage")
    org_code = await service.verify_support_client(session, fields["client_id"], fields["client_secret"])
    if tran_id := request.headers.get("x-api-tran-id"):
        response.headers["x-api-tran-id"] = tran_id
    return service.issue_support_token(settings, org_code)


@router.get(
    "/portal/v1/mgmts/orgs", response_model=MgmtOrgList, response_model_exclude_none=True, tags=["지원 API"]
)
async def list_mgmt_orgs(
    _caller: SupportCaller, session: ReadSessionDep, search_timestamp: str | None = None
) -> MgmtOrgList:
    """지원-002 기관정보 조회: orgs changed after ``search_timestamp``."""
    return MgmtOrgList.of(await service.list_orgs(session, search_timestamp))


@router.get(
    "/portal/v1/mgmts/services",
    response_model=MgmtServiceList,
    response_model_exclude_none=True,
    tags=["지원 API"],
)
async def list_mgmt_services(
    _caller: SupportCaller, session: ReadSessionDep, search_timestamp: str | None = None
) -> MgmtServiceList:
    """지원-003 서비스정보 조회: services changed after ``search_timestamp``, by org."""
    return MgmtServiceList.of(await service.list_services(session, search_timestamp))
