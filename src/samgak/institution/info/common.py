"""공통 APIs of every industry: 공통-001 API 목록, 공통-002 전송요구 내역 (MyData standard 3.5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from samgak.institution.errors import UnknownOrg
from samgak.institution.info.base import authorise, tran_id_of, unit_of_work
from samgak.institution.repository import GatewayRepository
from samgak.institution.state import Institution, get_institution
from samgak.institution.wire import OK, as_text, query_doc, respond

API_VERSION = "1"


def common_router(industry: str) -> APIRouter:
    """The 공통 routes under ``/v1/{industry}``."""
    router = APIRouter(prefix=f"/v1/{industry}", tags=["공통 (common)"])

    @router.get("/apis", summary="공통-001 API 목록 조회")
    async def apis(
        request: Request,
        org_code: str | None = Query(None),
        institution: Institution = Depends(get_institution),
        _session: AsyncSession = Depends(unit_of_work, scope="function"),
    ) -> Response:
        tran_id = tran_id_of(request)
        if org_code != institution.org_code:
            raise UnknownOrg(f"기관코드 {org_code}를 확인할 수 없습니다")
        uris = sorted(path for path in request.app.openapi()["paths"] if path.startswith(f"/v1/{industry}/"))
        body = {
            **OK,
            "version": API_VERSION,
            "min_version": API_VERSION,
            "api_cnt": str(len(uris)),
            "api_list": [{"api_uri": uri} for uri in uris],
        }
        return respond(body, tran_id)

    @router.get("/consents", summary="공통-002 전송요구 내역 조회", openapi_extra=query_doc("org_code"))
    async def consents(request: Request) -> Response:
        call = await authorise(request, f"{industry}.list")
        org_code = call.arg("org_code")
        call.check_org(org_code)
        grant = await call.customer()
        consent = None
        if grant.consent_id is not None:
            async with call.institution.db.read_sessions() as session:
                consent = await GatewayRepository(session).consent(grant.consent_id)
        body: dict[str, Any] = dict(OK)
        if consent is not None:
            body |= as_text(
                {
                    "is_scheduled": consent.is_scheduled,
                    "fnd_cycle": consent.fnd_cycle,
                    "add_cycle": consent.add_cycle,
                    "end_date": consent.end_date,
                    "purpose": consent.purpose,
                    "period": consent.period,
                }
            )
        return respond(body, call.tran_id)

    return router
