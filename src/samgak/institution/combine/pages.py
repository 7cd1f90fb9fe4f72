"""The member's combination console (``/combine`` of its deployable): export a data spec to the
agency, see its exports, and re-identify its customers in a campaign audience the agency left.

Behind the member's staff key (in the demo, the one staff key on the start page).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from samgak.institution.combine.agency_client import AgencyUnavailable
from samgak.institution.combine.export import export, exports, hand_over, requests
from samgak.institution.combine.spec import SPECS, DataSpec, SpecError
from samgak.institution.state import Institution, get_institution
from samgak.kit import staff

router = APIRouter(prefix="/combine", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
COOKIE = "samgak_member_staff"


def _home(request: Request, message: str = "") -> RedirectResponse:
    base = request.scope.get("root_path", "") + "/combine"
    return RedirectResponse(f"{base}?{urlencode({'message': message})}" if message else base, 303)


def _is_staff(request: Request, institution: Institution) -> bool:
    return staff.signed_in(request.cookies.get(COOKIE), institution.staff_key)


def _specs(institution: Institution) -> list[DataSpec]:
    found = [DataSpec.load(str(path)) for path in sorted(SPECS.glob("*.toml"))]
    return [spec for spec in found if spec.org_code == institution.org_code]


@router.get("")
async def console(request: Request, institution: Institution = Depends(get_institution)) -> Response:
    staff = _is_staff(request, institution)
    context = {
        "institution": institution,
        "staff": staff,
        "message": request.query_params.get("message", ""),
        "specs": _specs(institution) if staff else [],
        "exports": exports(institution) if staff else [],
        "requests": requests(institution) if staff else [],
        "base": request.scope.get("root_path", "") + "/combine",
    }
    return templates.TemplateResponse(request, "combine.html", context)


@router.post("/login")
async def login(request: Request, institution: Institution = Depends(get_institution)) -> Response:
    key = str((await request.form()).get("key", ""))
    answer = _home(request)
    path = request.scope.get("root_path", "") + "/combine"
    if not staff.sign_in(answer, key, institution.staff_key, cookie=COOKIE, path=path):
        return _home(request, "직원 키가 맞지 않습니다")
    return answer


@router.post("/exports")
async def run_export(request: Request, institution: Institution = Depends(get_institution)) -> Response:
    if not _is_staff(request, institution):
        return _home(request, "직원 키로 로그인하세요")
    name = str((await request.form()).get("spec", ""))
    try:
        if institution.agency is None:
            raise AgencyUnavailable("no combination agency configured")
        manifest = await export(institution, DataSpec.load(name), institution.agency)
    except SpecError as exc:
        return _home(request, str(exc))
    except AgencyUnavailable as exc:
        return _home(request, f"결합전문기관에 연결할 수 없습니다: {exc}")
    return _home(request, f"{manifest['export_id']}: {manifest['rows']:,}건을 결합전문기관에 보냈습니다")


@router.post("/requests/{request_id}")
async def run_hand_over(
    request: Request, request_id: str, institution: Institution = Depends(get_institution)
) -> Response:
    if not _is_staff(request, institution):
        return _home(request, "직원 키로 로그인하세요")
    try:
        if institution.agency is None:
            raise AgencyUnavailable("no combination agency configured")
        accepted = await hand_over(institution, institution.agency, request_id)
    except SpecError as exc:
        return _home(request, str(exc))
    except AgencyUnavailable as exc:
        return _home(request, f"캠페인에 전달할 수 없습니다: {exc}")
    return _home(
        request, f"재식별한 고객 중 {accepted:,}명이 캠페인 대상(마케팅 동의 고객)으로 전달되었습니다"
    )
