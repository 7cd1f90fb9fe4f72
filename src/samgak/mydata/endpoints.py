"""Pages and API of the MyData service: dashboard, linking, consents with the access log, and
``/api/mydata/portfolio`` for the same picture as JSON. The customer is the person signed in at
the alliance identity (the pages send anyone else there first)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, RedirectResponse, Response

from samgak.identity import Person, signed_in_person
from samgak.kit.i18n import current_language
from samgak.kit.timeutil import KST, today_kst
from samgak.mydata import consent as consents
from samgak.mydata.ca_client import NotSignedYet
from samgak.mydata.collect import collect
from samgak.mydata.holder_client import HolderError
from samgak.mydata.portfolio import Portfolio, portfolio, won
from samgak.mydata.repository import MydataRepository
from samgak.mydata.runtime import Mydata, get_mydata
from samgak.mydata.words import _

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/mydata", tags=["mydata"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(
    won=won, kst=lambda at: f"{at.astimezone(KST):%Y-%m-%d %H:%M}", _=_, lang=current_language
)
INDUSTRY_KO = {"bank": "은행", "card": "카드", "telecom": "통신"}
KINDS = {"deposit": "예금", "loan": "대출", "card": "카드", "telecom": "통신", "card_bills": "카드 청구"}
STATES = {
    "requested": "서명 대기",
    "linked": "연결됨",
    "refused": "거절됨",
    "withdrawn": "철회됨",
    "replaced": "변경·갱신됨",
    "expired": "만료됨",
}
DEFAULT_CHOICE = consents.Request(
    org_codes=[],
    purpose="통합 자산관리",
    is_scheduled=True,
    cycle="1/w",
    trans_memo=False,
    merchant_names=True,
)
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=HEADERS)


def _sign_in(request: Request) -> Response:
    return RedirectResponse(f"/id/start?{urlencode({'next': request.url.path})}", 303)


def _org_names(mydata: Mydata) -> dict[str, str]:
    return {code: h.member.org_name for code, h in mydata.holders.items()}


def _every_holder(mydata: Mydata) -> consents.Request:
    """The linking form's first choice: every member, the defaults."""
    return replace(DEFAULT_CHOICE, org_codes=list(mydata.holders))


async def _reminders(session: AsyncSession, subject: str, mydata: Mydata) -> list[dict[str, Any]]:
    """Consents to renew soon (or expired), for the banner on the service's pages."""
    today, names = today_kst(), _org_names(mydata)
    return [
        {
            "consent_id": c.consent_id,
            "org_name": names.get(c.org_code, c.org_code),
            "days_left": c.days_left(today),
            "end_date": f"{c.end_date:%Y-%m-%d}" if c.end_date else "",
        }
        for c in await consents.renewals_due(session, subject)
    ]


def _charts(picture: Portfolio) -> dict[str, list[tuple[str, int]]]:
    return {
        "income": [(_("{m}월", m=m.month[4:]), m.income) for m in picture.months],
        "spending": [(_("{m}월", m=m.month[4:]), m.spending) for m in picture.months],
        "telecom": [(_("{m}월", m=month[4:]), amount) for month, amount in picture.telecom_bills[-6:]],
        "categories": [(_(name), amount) for name, amount in picture.card_by_category[:6]],
    }


@router.get("/mydata")
async def dashboard(request: Request, mydata: Mydata = Depends(get_mydata)) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    async with request.app.state.platform_db.read_sessions() as session:
        picture = await portfolio(session, person.subject)
        reminders = await _reminders(session, person.subject, mydata)
    return _page(
        request,
        "dashboard.html",
        {
            "reminders": reminders,
            "name": person.name,
            "picture": picture,
            "charts": _charts(picture),
            "org_names": _org_names(mydata),
            "kinds": KINDS,
            "relink": request.query_params.get("relink"),
        },
    )


@router.get("/mydata/assets/{asset_id}")
async def asset_page(request: Request, asset_id: int, mydata: Mydata = Depends(get_mydata)) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    async with request.app.state.platform_db.read_sessions() as session:
        repo = MydataRepository(session)
        asset = await repo.own_asset(person.subject, asset_id)
        records = await repo.records_of_asset(asset_id, 200) if asset is not None else []
    if asset is None:  # someone else's asset is as unknown as a missing one
        return _page(request, "error.html", {"message": _("자산을 찾을 수 없습니다")}, 404)
    return _page(
        request,
        "asset.html",
        {"asset": asset, "records": records, "org_name": _org_names(mydata)[asset.org_code], "kinds": KINDS},
    )


@router.get("/mydata/link")
async def link_page(request: Request, mydata: Mydata = Depends(get_mydata)) -> Response:
    if await signed_in_person(request) is None:
        return _sign_in(request)
    choice = _every_holder(mydata)
    asked = request.query_params.get("purpose", "").strip()[:60]
    if asked:  # a member's page asks for a purpose (a loan pre-screen: 신용평가)
        choice = dataclasses.replace(choice, purpose=asked)
    return _link_form(request, mydata, choice, None)


def _link_form(
    request: Request,
    mydata: Mydata,
    choice: consents.Request,
    error: str | None,
    status_code: int = 200,
    *,
    changing: bool = False,
) -> Response:
    context = {"holders": _holders(mydata), "choice": choice, "error": error, "changing": changing}
    return _page(request, "link.html", context, status_code)


def _holders(mydata: Mydata) -> list[dict[str, str]]:
    return [
        {"org_code": code, "org_name": h.member.org_name, "industry_ko": INDUSTRY_KO[h.member.industry]}
        for code, h in mydata.holders.items()
    ]


async def _asked(request: Request) -> consents.Request:
    """What the linking form asks for."""
    form = await request.form()
    return consents.Request(
        org_codes=[str(v) for v in form.getlist("org")],
        purpose=str(form.get("purpose", "통합 자산관리")).strip()[:60],
        is_scheduled=form.get("scheduled") == "true",
        cycle=str(form.get("cycle") or "1/w"),
        trans_memo=form.get("trans_memo") == "true",
        merchant_names=form.get("merchant_names") == "true",
    )


@router.post("/mydata/link")
async def link(request: Request, mydata: Mydata = Depends(get_mydata)) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    return await _ask(request, mydata, person, await _asked(request))


@router.post("/mydata/link/individual")
async def link_individually(request: Request, mydata: Mydata = Depends(get_mydata)) -> Response:
    """개별인증, the fallback for one holder: to the holder's own sign-in and consent page."""
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    asked = await _asked(request)
    org_code = str((await request.form()).get("individual", ""))
    try:
        page = await consents.request_individual(
            request.app.state.platform_db, mydata, person, org_code, asked
        )
    except consents.ConsentError as refused:
        return _link_form(request, mydata, asked, str(refused), 400)
    except HolderError as refused:
        return _link_form(
            request,
            mydata,
            asked,
            _("{org} 연결 실패: {why}", org=mydata.holders[org_code].member.org_name, why=refused.message),
            502,
        )
    return RedirectResponse(page, 303)


@router.get("/mydata/callback")
async def individual_callback(request: Request, mydata: Mydata = Depends(get_mydata)) -> Response:
    """Where the holder sends the person back (개별인증-001's answer: ``code`` or ``error``)."""
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    database, query = request.app.state.platform_db, request.query_params
    try:
        outcome = await consents.complete_individual(
            database,
            mydata,
            person,
            state=query.get("state", ""),
            code=query.get("code"),
            error=query.get("error_description") or query.get("error"),
        )
    except consents.ConsentError as refused:
        return _page(request, "error.html", {"message": str(refused)}, 400)
    collected = []
    if outcome.linked:
        report = await collect(
            database, mydata, person.subject, api_type="user-consent", only=[outcome.org_code]
        )
        collected = [r.message for r in report.results]
    return _page(request, "done.html", {"outcomes": [outcome], "collected": collected})


async def _ask(request: Request, mydata: Mydata, person: Person, asked: consents.Request) -> Response:
    """Send the transmission requests for signing (IA102), then to the signature page."""
    try:
        cert_tx_id = await consents.request_link(request.app.state.platform_db, mydata, person, asked)
    except consents.ConsentError as refused:
        return _link_form(request, mydata, asked, str(refused), 400)
    except HolderError:
        return _link_form(
            request, mydata, asked, _("인증기관에 연결하지 못했습니다. 잠시 후 다시 시도하세요"), 503
        )
    done = f"/mydata/link/{cert_tx_id}/done"
    return RedirectResponse(f"/id/sign/{cert_tx_id}?{urlencode({'next': done})}", 303)


@router.get("/mydata/link/{cert_tx_id}/done")
async def link_done(request: Request, cert_tx_id: str, mydata: Mydata = Depends(get_mydata)) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    database = request.app.state.platform_db
    try:
        outcomes = await consents.complete_link(database, mydata, person, cert_tx_id)
    except NotSignedYet:
        return RedirectResponse(f"/id/sign/{cert_tx_id}?{urlencode({'next': request.url.path})}", 303)
    except consents.ConsentError as refused:
        return _link_form(request, mydata, _every_holder(mydata), str(refused), 400)
    report = await collect(database, mydata, person.subject, api_type="user-consent")
    return _page(
        request, "done.html", {"outcomes": outcomes, "collected": [r.message for r in report.results]}
    )


@router.post("/mydata/refresh")
async def refresh(request: Request, mydata: Mydata = Depends(get_mydata)) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    report = await collect(request.app.state.platform_db, mydata, person.subject, api_type="user-refresh")
    relink = report.needs_relink
    target = "/mydata" + (
        f"?{urlencode({'relink': _('{orgs} 연결이 끊겼습니다. 기관 연결에서 다시 연결하세요', orgs=', '.join(relink))})}"
        if relink
        else ""
    )
    return RedirectResponse(target, 303)


@router.get("/mydata/consents")
async def consents_page(request: Request, mydata: Mydata = Depends(get_mydata)) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    async with request.app.state.platform_db.read_sessions() as session:
        listed = await consents.consents_of(session, person.subject)
        log = await MydataRepository(session).access_log_of(person.subject)
        reminders = await _reminders(session, person.subject, mydata)
    return _page(
        request,
        "consents.html",
        {
            "reminders": reminders,
            "consents": listed,
            "log": log,
            "org_names": _org_names(mydata),
            "states": STATES,
            "receipt": request.query_params.get("receipt"),
        },
    )


async def _own_consent(request: Request, person: Person, consent_id: str) -> consents.Consent | None:
    async with request.app.state.platform_db.read_sessions() as session:
        found = [c for c in await consents.consents_of(session, person.subject) if c.consent_id == consent_id]
    return found[0] if found and found[0].state in ("linked", "expired") else None


@router.get("/mydata/consents/{consent_id}/change")
async def change_page(request: Request, consent_id: str, mydata: Mydata = Depends(get_mydata)) -> Response:
    """The linking form with the consent's choices, to change them (변경: a new signature, new tokens)."""
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    consent = await _own_consent(request, person, consent_id)
    if consent is None:
        return _page(request, "error.html", {"message": _("바꿀 수 있는 전송요구를 찾을 수 없습니다")}, 404)
    return _link_form(request, mydata, consent.as_request(), None, changing=True)


@router.post("/mydata/consents/{consent_id}/renew")
async def renew(request: Request, consent_id: str, mydata: Mydata = Depends(get_mydata)) -> Response:
    """Renew a consent as it is (갱신): the same choices, a new end date, one signature."""
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    consent = await _own_consent(request, person, consent_id)
    if consent is None:
        return _page(request, "error.html", {"message": _("갱신할 수 있는 전송요구를 찾을 수 없습니다")}, 404)
    return await _ask(request, mydata, person, consent.as_request())


@router.post("/mydata/consents/{consent_id}/withdraw")
async def withdraw(request: Request, consent_id: str, mydata: Mydata = Depends(get_mydata)) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return _sign_in(request)
    try:
        receipt = await consents.withdraw(request.app.state.platform_db, mydata, person.subject, consent_id)
    except consents.ConsentError as refused:
        return RedirectResponse(f"/mydata/consents?{urlencode({'receipt': str(refused)})}", 303)
    return RedirectResponse(f"/mydata/consents?{urlencode({'receipt': str(receipt)})}", 303)


@api.get("/portfolio", summary="The signed-in person's combined picture")
async def portfolio_api(request: Request) -> JSONResponse:
    person: Person | None = await signed_in_person(request)
    if person is None:
        return JSONResponse({"error": "login_required", "error_description": _("로그인이 필요합니다")}, 401)
    async with request.app.state.platform_db.read_sessions() as session:
        picture = await portfolio(session, person.subject)
    body = asdict(picture) | {"net_worth": picture.net_worth}
    return JSONResponse(json.loads(json.dumps(body, default=_plain)), headers={"Cache-Control": "no-store"})


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
