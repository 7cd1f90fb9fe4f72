"""Card (카드) 정보제공 APIs: 카드-001..006 (cards, points, bills, payments) and 카드-008/009 (approvals).

MyData standard 4.1/4.3, v1 paths; card APIs are all GET with query parameters. The card list
answers with ``card.list``, a card's details and approvals with ``card.card``, points with
``card.point``, and the customer-level bills and payments with ``card.bill``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from samgak.institution.errors import INFO_ERRORS, BadParameter, error_responses
from samgak.institution.info.base import Call, authorise
from samgak.institution.info.listing import ListedAsset, asset_list
from samgak.institution.info.paging import cut, with_next_page
from samgak.institution.info.params import (
    cursor_of,
    date_window,
    keyset_of,
    limit_of,
    month_window,
    now_timestamp,
    search_timestamp_of,
    unchanged,
)
from samgak.institution.info.repository import (
    CARD_DOMESTIC_PAGE,
    CARD_OVERSEAS_PAGE,
    InfoRepository,
    keyset_params,
)
from samgak.institution.wire import OK, as_text, query_doc, read_str, respond
from samgak.kit.pagination import encode_cursor
from samgak.kit.timeutil import format_date, today_kst

router = APIRouter(prefix="/v1/card", tags=["카드 (card)"], responses=error_responses(*INFO_ERRORS))

_BASIC_KEYS = (
    "card_type",
    "is_trans_payable",
    "is_cash_card",
    "linked_bank_code",
    "card_brand",
    "annual_fee",
    "issue_date",
    "account_num",
)
_BILL_DETAIL_KEYS = (
    "card_id",
    "paid_dtime",
    "paid_amt",
    "currency_code",
    "merchant_name",
    "credit_fee_amt",
    "total_install_cnt",
    "cur_install_cnt",
    "balance_amt",
    "prod_type",
)


@router.get(
    "/cards",
    summary="카드-001 카드 목록 조회",
    openapi_extra=query_doc("org_code", optional=("search_timestamp", "next_page", "limit")),
)
async def cards(request: Request) -> Response:
    """카드-001: the customer's own cards; ``limit`` defaults to 500 (the 2021 spec has no paging)."""
    call = await authorise(request, "card.list")
    return await asset_list(
        call,
        kinds=("card", "card"),
        name="card",
        item=_card,
    )


def _card(asset: ListedAsset) -> dict[str, Any]:
    d = asset.detail
    return {
        "card_id": asset.key,
        "card_num": d["card_num"],
        "is_consent": asset.consented,
        "card_name": d["card_name"],
        "card_member": d["card_member"],
        "card_type": d["card_type"],
    }


@router.get(
    "/cards/{card_id}",
    summary="카드-002 카드 기본정보 조회",
    openapi_extra=query_doc("org_code", optional=("search_timestamp",)),
)
async def card_basic(request: Request, card_id: str) -> Response:
    """카드-002: one card's basic information (2022 revision: with ``account_num``)."""
    call = await authorise(request, "card.card")
    org_code = call.arg("org_code")
    search_timestamp = call.arg("search_timestamp")
    call.check_org(org_code)
    since = search_timestamp_of(search_timestamp)
    asset = await call.asset(card_id, kind="card", api_code="CD02")
    if unchanged(since, asset.modified_at):
        return respond({**OK, "search_timestamp": since}, call.tran_id)
    basic = {k: asset.detail.get(k) for k in _BASIC_KEYS}
    return respond({**OK, "search_timestamp": now_timestamp(), **as_text(basic)}, call.tran_id)


@router.get(
    "/points",
    summary="카드-003 포인트 정보 조회",
    openapi_extra=query_doc("org_code", optional=("search_timestamp",)),
)
async def points(request: Request) -> Response:
    """카드-003: the customer's point balances (customer level, not per card)."""
    call = await authorise(request, "card.point")
    org_code = call.arg("org_code")
    search_timestamp = call.arg("search_timestamp")
    call.check_org(org_code)
    search_timestamp_of(search_timestamp)
    await call.customer(api_code="CD11", history=True)
    rows = await InfoRepository(call.reader).card_points(call.customer_id)
    point_list = [
        as_text({"point_name": name, "remain_point_amt": remain, "expiring_point_amt": expiring})
        for name, remain, expiring in rows
    ]
    body = {
        **OK,
        "search_timestamp": now_timestamp(),
        "point_cnt": str(len(point_list)),
        "point_list": point_list,
    }
    return respond(body, call.tran_id)


@router.get(
    "/bills",
    summary="카드-004 청구 기본정보 조회",
    openapi_extra=query_doc("org_code", "from_month", "to_month", "limit", optional=("next_page",)),
)
async def bills(request: Request) -> Response:
    """카드-004: the customer's monthly bills (family cards included), newest ``charge_month`` first."""
    call = await authorise(request, "card.bill")
    org_code = call.arg("org_code")
    from_month = call.arg("from_month")
    to_month = call.arg("to_month")
    next_page = call.arg("next_page")
    limit = call.arg("limit")
    call.check_org(org_code)
    window = month_window(from_month, to_month, call.api_type)
    size = limit_of(limit)
    after = keyset_of(next_page)
    await call.customer(api_code="CD21", history=True)
    rows, cursor = cut(
        await InfoRepository(call.reader).card_bill_page(call.customer_id, window, after, size),
        size,
        lambda r: (r[3], r[6]),
    )
    bill_list = []
    for seqno, charge_amt, charge_day, charge_month, paid_out_date, card_type, _id in rows:
        item = {
            "seqno": seqno,
            "charge_amt": charge_amt,
            "charge_day": charge_day,
            "charge_month": charge_month,
            "paid_out_date": paid_out_date,
            "card_type": card_type,
        }
        bill_list.append(as_text(item))
    body = {**OK, "bill_cnt": str(len(bill_list)), "bill_list": bill_list}
    return respond(with_next_page(body, cursor), call.tran_id)


@router.get(
    "/bills/detail",
    summary="카드-005 청구 추가정보 조회",
    openapi_extra=query_doc("org_code", "charge_month", "limit", optional=("seqno", "next_page")),
)
async def bill_detail(request: Request) -> Response:
    """카드-005: the items of one month's bill (of one ``seqno`` when given), paged by position."""
    call = await authorise(request, "card.bill")
    org_code = call.arg("org_code")
    seqno = call.arg("seqno")
    charge_month = call.arg("charge_month")
    next_page = call.arg("next_page")
    limit = call.arg("limit")
    call.check_org(org_code)
    month, _ = month_window(read_str(charge_month, "charge_month"), charge_month, call.api_type)
    size = limit_of(limit)
    start = _offset_of(next_page)
    await call.customer(api_code="CD22", history=True)
    rows = await InfoRepository(call.reader).card_bill_details(call.customer_id, month, seqno)
    items = [
        item for (details,) in rows for item in (json.loads(details) if isinstance(details, str) else details)
    ]
    regno = call.merchant_regno
    detail_list = []
    for item in items[start : start + size]:
        detail = {k: item.get(k) for k in _BILL_DETAIL_KEYS}
        if regno:
            detail["merchant_regno"] = item.get("merchant_regno") or None
        detail_list.append(as_text(detail))
    cursor = encode_cursor(start + size) if start + size < len(items) else None
    body = {**OK, "bill_detail_cnt": str(len(detail_list)), "bill_detail_list": detail_list}
    return respond(with_next_page(body, cursor), call.tran_id)


@router.get(
    "/payments",
    summary="카드-006 결제정보 조회",
    openapi_extra=query_doc("org_code", optional=("search_timestamp",)),
)
async def payments(request: Request) -> Response:
    """카드-006: what is still to be paid — the bills whose payment day is today (KST) or later."""
    call = await authorise(request, "card.bill")
    org_code = call.arg("org_code")
    search_timestamp = call.arg("search_timestamp")
    call.check_org(org_code)
    search_timestamp_of(search_timestamp)
    await call.customer(api_code="CD23", history=True)
    rows = await InfoRepository(call.reader).card_payments(call.customer_id, format_date(today_kst()))
    pay_list = [
        as_text({"seqno": seqno, "pay_due_date": due, "pay_amt": amount}) for seqno, due, amount in rows
    ]
    body = {**OK, "search_timestamp": now_timestamp(), "pay_cnt": str(len(pay_list)), "pay_list": pay_list}
    return respond(body, call.tran_id)


@router.get(
    "/cards/{card_id}/approval-domestic",
    summary="카드-008 국내 승인내역 조회",
    openapi_extra=query_doc("org_code", "from_date", "to_date", "limit", optional=("next_page",)),
)
async def approval_domestic(request: Request, card_id: str) -> Response:
    """카드-008: domestic approvals approved — or cancelled/corrected — in the window, newest first."""
    call = await authorise(request, "card.card")
    return await _approvals(call, card_id, overseas=False)


@router.get(
    "/cards/{card_id}/approval-overseas",
    summary="카드-009 해외 승인내역 조회",
    openapi_extra=query_doc("org_code", "from_date", "to_date", "limit", optional=("next_page",)),
)
async def approval_overseas(request: Request, card_id: str) -> Response:
    """카드-009: overseas approvals as 카드-008, with the foreign amount and its won value (``krw_amt``)."""
    call = await authorise(request, "card.card")
    return await _approvals(call, card_id, overseas=True)


async def _approvals(
    call: Call,
    card_id: str,
    *,
    overseas: bool,
) -> Response:
    call.check_org(call.arg("org_code"))
    window = date_window(call.arg("from_date"), call.arg("to_date"), call.api_type)
    size = limit_of(call.arg("limit"))
    after = keyset_of(call.arg("next_page"))
    _currency, page = await call.asset_page(
        card_id,
        kind="card",
        api_code="CD04" if overseas else "CD03",
        page=CARD_OVERSEAS_PAGE if overseas else CARD_DOMESTIC_PAGE,
        params=keyset_params(window, after, size),
    )
    rows, cursor = cut(page, size, lambda r: (r[0], r[13]))
    regno = call.merchant_regno
    approved_list = []
    for (
        dtime,
        num,
        status,
        pay_type,
        trans_dtime,
        merchant,
        merchant_regno,
        amount,
        modified,
        install,
        *foreign,
    ) in rows:
        item: dict[str, str] = {
            "approved_num": num,
            "status": status,
            "pay_type": pay_type,
            "approved_dtime": dtime,
        }
        if trans_dtime:
            item["trans_dtime"] = trans_dtime
        item["merchant_name"] = merchant
        if regno and merchant_regno:
            item["merchant_regno"] = merchant_regno
        if overseas:
            country, currency, foreign_amt, _id = foreign
            item |= {
                "country_code": country,
                "currency_code": currency,
                "approved_amt": foreign_amt,
                "krw_amt": str(amount),
            }
        else:
            item["approved_amt"] = str(amount)
        if modified is not None:
            item["modified_amt"] = str(modified)
        if install is not None:
            item["total_install_cnt"] = str(install)
        approved_list.append(item)
    body = {**OK, "approved_cnt": str(len(approved_list)), "approved_list": approved_list}
    return respond(with_next_page(body, cursor), call.tran_id)


def _offset_of(next_page: str | None) -> int:
    """The position in a bill's item list where a 카드-005 page continues."""
    parts = cursor_of(next_page, 1)
    if parts is None:
        return 0
    if not parts[0].isdigit():
        raise BadParameter("next_page 값이 올바르지 않습니다")
    return int(parts[0])
