"""Offers' pages and API: ``/offers`` (my offers, why, what I earned, campaign messages, marketing
agreement), ``/r/{code}`` (a KT store's referral link, QR code and staff registration),
``/offers/staff`` (staff key: products, the month's run, partner settlement and its statement,
campaigns, store reports), ``/api/offers/v1/products`` (public reference data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from samgak import directory, identity
from samgak.identity import signed_in_person
from samgak.kit import staff as staff_key
from samgak.kit.i18n import current_language
from samgak.kit.money import format_won
from samgak.kit.qr import qr_svg
from samgak.kit.timeutil import today_kst
from samgak.offers import campaigns, referrals, stores
from samgak.offers.service import (
    OffersError,
    catalogue,
    enrol,
    month_key,
    offers_for,
    offers_key,
    opt_out,
    partner_settlement,
    run_month,
    settlement_csv,
)
from samgak.offers.words import _

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/offers/v1", tags=["offers"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(won=format_won, _=_, lang=current_language)
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


async def offers_error_handler(request: Request, exc: Exception) -> Response:
    """Render an :class:`OffersError`: the page again with the message, or the API's JSON."""
    assert isinstance(exc, OffersError)
    path = request.url.path
    if request.method == "POST" and (path.startswith("/offers/") or path.startswith("/r/")):
        page = (
            "/offers/staff"
            if path.startswith("/offers/staff")
            else path
            if path.startswith("/r/")
            else "/offers"
        )
        return RedirectResponse(f"{page}?{urlencode({'message': _(exc.message)})}", 303)
    return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status_code)


@api.get("/products", summary="The partner products and their terms (public reference data)")
async def products_api() -> JSONResponse:
    return JSONResponse({"products": catalogue()}, headers={"Cache-Control": "public, max-age=300"})


@router.get("/r/{code}")
async def store_link(request: Request, code: str) -> Response:
    """A KT store's referral link (its QR code): remember the store, then the offers."""
    shop = stores.store(code)
    if shop is None:
        return RedirectResponse(f"/offers?{urlencode({'message': _('없는 매장 코드입니다')})}", 303)
    answer = RedirectResponse("/offers", 303)
    answer.set_cookie(
        referrals.COOKIE, shop.code, max_age=referrals.COOKIE_DAYS * 86_400, httponly=True, samesite="lax"
    )
    return answer


@router.get("/r/{code}/qr.svg")
async def store_qr(request: Request, code: str) -> Response:
    shop = stores.store(code)
    if shop is None:
        raise OffersError("없는 매장 코드입니다", status_code=404, code="not_found")
    image = qr_svg(f"{request.app.state.settings.public_base_url}/r/{shop.code}")
    return Response(image, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


def _store_of(request: Request) -> stores.Store | None:
    return stores.store(request.cookies.get(referrals.COOKIE, ""))


@router.get("/offers")
async def my_offers(request: Request) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return RedirectResponse(f"/id/start?{urlencode({'next': '/offers'})}", 303)
    shop = _store_of(request)
    if shop is not None:
        await referrals.attribute(request.app.state.platform_db, shop, person.subject)
    database = request.app.state.platform_db
    found = await offers_for(database, person.subject)
    context: dict[str, Any] = {
        "person": person,
        "offers": found,
        "marketing": await campaigns.agreed(database, person.subject),
        "inbox": await campaigns.inbox(database, person.subject),
        "message": request.query_params.get("message"),
    }
    return templates.TemplateResponse(request, "offers.html", context, headers=HEADERS)


@router.post("/offers/{code}/enrol")
async def enrol_page(request: Request, code: str) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return RedirectResponse("/id/start?next=/offers", 303)
    await enrol(request.app.state.platform_db, person.subject, code)
    shop = _store_of(request)
    if shop is not None:
        await referrals.attribute(request.app.state.platform_db, shop, person.subject, enrolled=code)
    return RedirectResponse(
        f"/offers?{urlencode({'message': '가입했습니다. 이번 달부터 혜택을 계산합니다.'})}", 303
    )


@router.post("/offers/{code}/opt-out")
async def opt_out_page(request: Request, code: str) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return RedirectResponse("/id/start?next=/offers", 303)
    await opt_out(request.app.state.platform_db, person.subject, code)
    return RedirectResponse(f"/offers?{urlencode({'message': _('해지했습니다.')})}", 303)


STAFF_COOKIE = "samgak_staff"


def _is_staff(request: Request) -> bool:
    """Signed in at the staff console: its cookie holds the digest of the staff key."""
    return staff_key.signed_in(request.cookies.get(STAFF_COOKIE), request.app.state.staff_key)


def _staff_only(request: Request) -> None:
    if not _is_staff(request):
        raise OffersError("직원 키로 로그인하세요", status_code=401, code="staff_only")


@router.post("/offers/staff/login")
async def staff_login(request: Request) -> Response:
    key = str((await request.form()).get("key", "")).strip()
    answer = RedirectResponse("/offers/staff", 303)
    if not staff_key.sign_in(
        answer, key, request.app.state.staff_key, cookie=STAFF_COOKIE, path="/offers/staff"
    ):
        return RedirectResponse(f"/offers/staff?{urlencode({'message': _('직원 키가 맞지 않습니다')})}", 303)
    return answer


@router.get("/r/{code}/staff")
async def store_staff_page(request: Request, code: str) -> Response:
    shop = stores.store(code)
    if shop is None:
        raise OffersError("없는 매장 코드입니다", status_code=404, code="not_found")
    if await signed_in_person(request) is None:
        return RedirectResponse(f"/id/start?{urlencode({'next': f'/r/{shop.code}/staff'})}", 303)
    context = {"shop": shop, "message": request.query_params.get("message")}
    return templates.TemplateResponse(request, "store_staff.html", context, headers=HEADERS)


@router.post("/r/{code}/staff")
async def store_staff_join(request: Request, code: str) -> Response:
    """A store's staff member registers (with the store's PIN): their own joins stop counting."""
    shop = stores.store(code)
    person = await signed_in_person(request)
    if shop is None or person is None:
        return RedirectResponse("/offers", 303)
    pin = str((await request.form()).get("pin", ""))
    await referrals.register_staff(
        request.app.state.platform_db, shop, person.subject, pin, holdout_key(request)
    )
    said = _("{store} 직원으로 등록했습니다", store=shop.name)
    return RedirectResponse(f"/offers?{urlencode({'message': said})}", 303)


@router.post("/offers/marketing")
async def marketing_page(request: Request) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return RedirectResponse("/id/start?next=/offers", 303)
    agreed = str((await request.form()).get("agree")) == "1"
    await campaigns.agree_to_marketing(request.app.state.platform_db, person.subject, agreed)
    said = _("마케팅 정보 수신에 동의했습니다.") if agreed else _("마케팅 정보 수신 동의를 철회했습니다.")
    return RedirectResponse(f"/offers?{urlencode({'message': said})}", 303)


def holdout_key(request: Request) -> bytes:
    return offers_key(request.app.state.settings)


@router.post("/offers/staff/campaigns")
async def campaign_create(request: Request) -> Response:
    _staff_only(request)
    form = await request.form()
    holdout = str(form.get("holdout_pct", "10"))
    campaign_id = await campaigns.create(
        request.app.state.platform_db,
        str(form.get("name", "")),
        str(form.get("product", "")),
        str(form.get("segment", "")),
        int(holdout) if holdout.isdigit() else -1,
    )
    said = f"캠페인 {campaign_id}을 만들었습니다"
    return RedirectResponse(f"/offers/staff?{urlencode({'message': said})}#campaigns", 303)


@router.post("/offers/staff/campaigns/{campaign_id}/launch")
async def campaign_launch(request: Request, campaign_id: str) -> Response:
    _staff_only(request)
    treated, held = await campaigns.launch(request.app.state.platform_db, campaign_id, holdout_key(request))
    said = f"{campaign_id}: {treated}명에게 보냈고 {held}명은 비교군입니다"
    return RedirectResponse(f"/offers/staff?{urlencode({'message': said})}#campaigns", 303)


@api.post(
    "/campaigns/{campaign_id}/audience",
    summary="A member hands over the customers it re-identified for a campaign on an approved release",
)
async def campaign_audience(request: Request, campaign_id: str) -> JSONResponse:
    """Called by a member with its portal (지원-001) token; ``{"request_id", "cis"}`` →
    ``{"accepted"}``: how many are alliance customers with a live marketing agreement (only
    those are kept; the others are dropped on arrival)."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    try:
        org_code = directory.verify_support_token(request.app.state.settings, token).aud
    except directory.DirectoryError as exc:
        raise OffersError("회원사 지원 API 토큰이 필요합니다", status_code=401, code="unauthorized") from exc
    body = await request.json()
    cis, request_id = body.get("cis"), body.get("request_id")
    if (
        not isinstance(cis, list)
        or not all(isinstance(ci, str) for ci in cis)
        or not isinstance(request_id, str)
    ):
        raise OffersError("request_id와 cis(문자열 목록)를 보내세요", code="bad_request")
    database = request.app.state.platform_db
    async with database.read_sessions() as session:
        subjects = await identity.subjects_of(session, request.app.state.identity.keys, cis)
    accepted = await campaigns.receive_audience(
        database, campaign_id, org_code=org_code, request_id=request_id, subjects=subjects
    )
    return JSONResponse({"accepted": accepted})


@router.get("/offers/staff")
async def staff(request: Request) -> Response:
    if not _is_staff(request):
        asked = {"message": request.query_params.get("message")}
        return templates.TemplateResponse(request, "staff_login.html", asked, headers=HEADERS)
    month = request.query_params.get("month") or ""
    if not (len(month) == 6 and month.isdigit()):
        month = month_key(today_kst(), 1)
    lines = await partner_settlement(request.app.state.platform_db, month)
    stores_month = request.query_params.get("stores") or ""
    if not (len(stores_month) == 6 and stores_month.isdigit() and 1 <= int(stores_month[4:]) <= 12):
        stores_month = f"{today_kst():%Y%m}"
    referred = await referrals.report(request.app.state.platform_db, stores_month)
    context: dict[str, Any] = {
        "products": catalogue(),
        "segments": campaigns.segments(),
        "campaigns": await campaigns.results(request.app.state.platform_db),
        "month": month,
        "referred": referred,
        "pins": {
            line.code: referrals.store_pin(line.code, holdout_key(request)) for line in referred.stores[:20]
        },
        "lines": lines,
        "message": request.query_params.get("message"),
    }
    return templates.TemplateResponse(request, "staff.html", context, headers=HEADERS)


@router.get("/offers/staff/settlement/{month}.csv")
async def settlement_statement(request: Request, month: str) -> Response:
    _staff_only(request)
    if not (len(month) == 6 and month.isdigit()):
        raise OffersError("월은 YYYYMM입니다", code="bad_month")
    lines = await partner_settlement(request.app.state.platform_db, month)
    return Response(
        settlement_csv(month, lines),
        media_type="text/csv; charset=utf-8",
        headers=HEADERS | {"Content-Disposition": f'attachment; filename="partner-settlement-{month}.csv"'},
    )


@router.post("/offers/staff/run")
async def staff_run(request: Request) -> Response:
    _staff_only(request)
    month = str((await request.form()).get("month") or month_key(today_kst(), 1))
    if not (len(month) == 6 and month.isdigit()):
        return RedirectResponse(f"/offers/staff?{urlencode({'message': '월은 YYYYMM입니다'})}", 303)
    report = await run_month(request.app.state.platform_db, month)
    message = (
        f"{month}: 가입 {report.enrolments}건, 새로 계산 {report.computed}건, 혜택 {format_won(report.won)}"
    )
    return RedirectResponse(f"/offers/staff?{urlencode({'month': month, 'message': message})}", 303)
