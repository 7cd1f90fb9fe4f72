"""The combination agency's HTTP face.

``POST /api/combine/v1/join-keys`` — members key their CI digests (portal 지원-001 token).
``/analytics/staff`` — the agency's console (staff key): the inbox of exports, combinations with
their linkage reports, release reviews and decisions, and on approved releases the segment builder,
its reports and charts, and the hand-over of a segment to a joint campaign.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from samgak import directory, identity, offers
from samgak.analytics import agency, segments
from samgak.analytics.engines import ENGINES
from samgak.analytics.errors import AnalyticsError
from samgak.analytics.repository import AnalyticsRepository
from samgak.analytics.review import Criteria, decide, review
from samgak.analytics.scoring import service as scoring
from samgak.analytics.words import _
from samgak.config import Settings
from samgak.kit import staff
from samgak.kit.charts import bars
from samgak.kit.i18n import current_language

api = APIRouter(prefix="/api/combine/v1", tags=["combination agency"])
scoring_api = APIRouter(prefix="/api/scoring/v1", tags=["credit scoring"])
router = APIRouter(prefix="/analytics/staff", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(_=_, lang=current_language)
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
COOKIE = "samgak_analytics_staff"


async def analytics_error_handler(request: Request, exc: Exception) -> Response:
    """A refusal: the console again with the message, or the API's JSON error."""
    assert isinstance(exc, AnalyticsError)
    path = request.url.path
    if request.method == "POST" and path.startswith("/analytics/staff"):
        parts = path.split("/")  # a review's decision or a release's segment: back to that page
        page = (
            "/".join(parts[:5])
            if len(parts) == 6 and parts[3] in ("reviews", "releases")
            else "/analytics/staff"
        )
        return _back(request, _(exc.message), page)
    return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status_code)


def _back(request: Request, message: str, page: str = "/analytics/staff") -> RedirectResponse:
    return RedirectResponse(f"{page}?{urlencode({'message': message})}", 303)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _member(request: Request) -> str:
    """The alliance member calling with its portal (지원-001) token."""
    settings = _settings(request)
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    try:
        org_code = directory.verify_support_token(settings, token).aud
    except directory.DirectoryError as exc:
        raise AnalyticsError(
            "회원사 지원 API 토큰이 필요합니다", status_code=401, code="unauthorized"
        ) from exc
    if org_code not in {m.org_code for m in settings.members}:
        raise AnalyticsError("제휴 회원사만 쓸 수 있습니다", status_code=403, code="not_member")
    return org_code


@api.post("/join-keys", summary="결합키 생성: CI의 SHA-256을 기관의 키로 HMAC-SHA256")
async def join_keys(request: Request) -> JSONResponse:
    """``{"digests": [hex SHA-256 of a CI, …]}`` → ``{"key_id", "join_keys"}`` in the same order.
    Only alliance members, with their portal (지원-001) token."""
    settings = _settings(request)
    _member(request)
    body = await request.json()
    digests = body.get("digests") if isinstance(body, dict) else None
    if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests) or len(digests) > 50_000:
        raise AnalyticsError("digests: 문자열 목록(최대 50,000개)을 보내세요", code="bad_digest")
    key = agency.agency_key(settings)
    return JSONResponse({"key_id": agency.key_id(key), "join_keys": agency.join_keys(key, digests)})


@scoring_api.post("/scores", summary="대안신용평가: 신용평가 목적으로 연결한 마이데이터로 점수·등급·사유")
async def score(request: Request) -> JSONResponse:
    """``{"ci"}`` of an applicant → score, probability of default, band and reasons. Members only
    (portal token); refused with ``no_credit_consent`` unless the applicant linked data for credit
    assessment (신용평가); every call is audited."""
    org_code = _member(request)
    body = await request.json()
    ci = body.get("ci") if isinstance(body, dict) else None
    if not isinstance(ci, str) or not ci:
        raise AnalyticsError("ci를 보내세요", code="bad_request")
    database = request.app.state.platform_db
    async with database.read_sessions() as session:
        subjects = await identity.subjects_of(session, request.app.state.identity.keys, [ci])
    if not subjects:
        raise AnalyticsError("삼각 계정이 없는 고객입니다", status_code=404, code="not_found")
    decision = await scoring.prescreen(
        database, _settings(request), subjects[0], org_code=org_code, channel="api"
    )
    return JSONResponse(
        {
            "score": decision.score,
            "probability_of_default": decision.probability,
            "band": decision.band,
            "band_words": decision.words,
            "reasons": decision.reasons,
            "thin_file": decision.thin_file,
            "members": decision.members,
            "model_version": decision.model_version,
        }
    )


# --------------------------------------------------------------------------- the console


def _is_staff(request: Request) -> bool:
    return staff.signed_in(request.cookies.get(COOKIE), request.app.state.staff_key)


def _staff_only(request: Request) -> None:
    if not _is_staff(request):
        raise AnalyticsError("직원 키로 로그인하세요", status_code=401, code="staff_only")


@router.post("/login")
async def login(request: Request) -> Response:
    key = str((await request.form()).get("key", ""))
    answer = RedirectResponse("/analytics/staff", 303)
    if not staff.sign_in(answer, key, request.app.state.staff_key, cookie=COOKIE, path="/analytics/staff"):
        return _back(request, _("직원 키가 맞지 않습니다"))
    return answer


def _page(request: Request, name: str, context: dict[str, Any]) -> Response:
    context |= {"message": request.query_params.get("message")}
    return templates.TemplateResponse(request, name, context, headers=HEADERS)


@router.get("")
async def console(request: Request) -> Response:
    if not _is_staff(request):
        return _page(request, "login.html", {})
    settings = _settings(request)
    async with request.app.state.platform_db.read_sessions() as session:
        repo = AnalyticsRepository(session)
        combinations = await repo.combinations()
        reviews = await repo.reviews()
        found_segments = await repo.segments()
    return _page(
        request,
        "console.html",
        {
            "exports": agency.exports(settings),
            "members": settings.members,
            "engines": ENGINES,
            "engine": settings.analytics.engine,
            "combinations": [(c, json.loads(c.report)["report"]) for c in combinations],
            "reviews": [(r, json.loads(r.result), json.loads(r.criteria)) for r in reviews],
            "segments": found_segments,
            "products": offers.catalogue(),
        },
    )


@router.post("/combinations")
async def combine(request: Request) -> Response:
    _staff_only(request)
    form = await request.form()
    export_ids = [str(v) for v in form.getlist("export")]
    engine = str(form.get("engine", "duckdb"))
    linked = await agency.combine(request.app.state.platform_db, _settings(request), export_ids, engine)
    said = _("{id}: {n}명을 결합했습니다", id=linked.combination_id, n=f"{linked.report['linked']:,}")
    return _back(request, said)


def _number(form: Any, name: str, cast: Any, default: Any) -> Any:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        raise AnalyticsError(f"{name}: 숫자로 적으세요", code="bad_criteria") from exc


@router.post("/combinations/{combination_id}/reviews")
async def start_review(request: Request, combination_id: str) -> Response:
    _staff_only(request)
    form = await request.form()
    criteria = Criteria(
        k=_number(form, "k", int, 5),
        suppression=_number(form, "suppression_pct", float, 0.0) / 100,
        min_l=_number(form, "l", int, None),
        max_t=_number(form, "t", float, None),
    )
    engine = str(form.get("engine", "duckdb"))
    if engine not in ENGINES:
        raise AnalyticsError("엔진은 duckdb 또는 spark입니다", code="bad_engine")
    review_id = await review(
        request.app.state.platform_db, _settings(request), combination_id, criteria, engine
    )
    return RedirectResponse(f"/analytics/staff/reviews/{review_id}", 303)


@router.get("/reviews/{review_id}")
async def review_page(request: Request, review_id: str) -> Response:
    _staff_only(request)
    async with request.app.state.platform_db.read_sessions() as session:
        row = await AnalyticsRepository(session).review(review_id)
    if row is None:
        raise AnalyticsError("없는 심사입니다", status_code=404, code="not_found")
    result = json.loads(row.result)
    chart = None
    if result.get("class_sizes"):
        chart = bars(
            [(label, n) for label, n in result["class_sizes"]],
            title=_("동질집합 크기별 레코드 수"),
            unit="건",
        )
    return _page(
        request,
        "review.html",
        {"row": row, "result": result, "criteria": json.loads(row.criteria), "chart": chart},
    )


@router.post("/reviews/{review_id}/decision")
async def decision(request: Request, review_id: str) -> Response:
    _staff_only(request)
    form = await request.form()
    await decide(
        request.app.state.platform_db,
        _settings(request),
        review_id,
        reviewer=str(form.get("reviewer", "")),
        decision=str(form.get("decision", "")),
        reasons=str(form.get("reasons", "")),
    )
    return _back(
        request, _("{id}: 결정을 기록했습니다", id=review_id), f"/analytics/staff/reviews/{review_id}"
    )


def _form(request: Request) -> dict[str, list[str]]:
    query = request.query_params
    return {key: query.getlist(key) for key in query}


@dataclass(frozen=True, slots=True)
class _Built:
    """The builder's state for one request: the release, its columns, the rule asked, its report."""

    row: Any
    columns: dict[str, dict[str, Any]]
    rule: segments.Rule
    by: str
    report: segments.Report

    @property
    def chart(self) -> str:
        return self.report.chart(_("{by}별 고객 수", by=self.by))


async def _built(request: Request, review_id: str) -> _Built:
    """The segment builder's report of the rule in the query, on an approved release."""
    _staff_only(request)
    settings = _settings(request)
    row, path = await segments.approved(request.app.state.platform_db, settings, review_id)
    columns = await asyncio.to_thread(segments.describe, path, settings.analytics.engine, settings)
    rule = segments.rule_of(_form(request), columns)
    by = request.query_params.get("by") or next(iter(columns))
    k = json.loads(row.criteria)["k"]
    found = await asyncio.to_thread(segments.report, path, rule, by, k, settings.analytics.engine, settings)
    return _Built(row, columns, rule, by, found)


@router.get("/releases/{review_id}")
async def release_page(request: Request, review_id: str) -> Response:
    """The segment builder on an approved release, with the report of the rule being built."""
    built = await _built(request, review_id)
    return _page(
        request,
        "release.html",
        {
            "row": built.row,
            "columns": built.columns,
            "rule": built.rule,
            "by": built.by,
            "report": built.report,
            "chart": built.chart,
            "query": urlencode([(key, v) for key, values in _form(request).items() for v in values]),
        },
    )


@router.get("/releases/{review_id}/chart.svg")
async def release_chart(request: Request, review_id: str) -> Response:
    built = await _built(request, review_id)
    return Response(built.chart, media_type="image/svg+xml", headers=HEADERS)


@router.post("/releases/{review_id}/segments")
async def save_segment(request: Request, review_id: str) -> Response:
    _staff_only(request)
    settings = _settings(request)
    form = await request.form()
    path = (await segments.approved(request.app.state.platform_db, settings, review_id))[1]
    columns = await asyncio.to_thread(segments.describe, path, settings.analytics.engine, settings)
    fields = {key: [str(v) for v in form.getlist(key)] for key in form}
    rule = segments.rule_of(fields, columns)
    segment_id = await segments.save(
        request.app.state.platform_db, settings, review_id, str(form.get("name", "")), rule
    )
    return _back(request, _("세그먼트 {id}를 저장했습니다", id=segment_id))


@router.post("/segments/{segment_id}/campaign")
async def segment_campaign(request: Request, segment_id: str) -> Response:
    _staff_only(request)
    form = await request.form()
    product = str(form.get("product", ""))
    if product not in {p["code"] for p in offers.catalogue()}:
        raise AnalyticsError("상품을 고르세요", code="bad_product")
    holdout = str(form.get("holdout_pct", "10"))
    campaign_id = await segments.hand_to_campaign(
        request.app.state.platform_db,
        _settings(request),
        segment_id,
        name=str(form.get("name", "")),
        product=product,
        holdout_pct=int(holdout) if holdout.isdigit() else -1,
    )
    said = _("캠페인 {id}을 만들고 회원사에 재식별을 요청했습니다", id=campaign_id)
    return _back(request, said)


@router.get("/scoring")
async def scoring_page(request: Request) -> Response:
    """The credit model's card: held-out figures, thin files and the telecom lift, fairness, drift."""
    _staff_only(request)
    settings = _settings(request)
    model = scoring.current_model(settings)
    database = request.app.state.platform_db
    drift, scored = await scoring.drift(database, settings)
    async with database.read_sessions() as session:
        calls = await AnalyticsRepository(session).score_calls(20)
    card = model.card
    chart = bars(
        [(g["group"], round(g["approved"] * 100)) for g in card["fairness"]],
        title=_("집단별 사전승인 비율 (%)"),
        unit="%",
    )
    return _page(
        request,
        "scoring.html",
        {"card": card, "drift": drift, "scored": scored, "calls": calls, "chart": chart},
    )
