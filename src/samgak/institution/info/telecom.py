"""Telecom (통신) 정보제공 APIs: 통신-001 contracts, 통신-002 bills, 통신-003 payments, 통신-004 paid.

MyData standard 4.1/4.4, v1 paths. The contract list answers with ``telecom.list``, the per-contract
APIs (POST, ``mgmt_id`` in the body; 통신-002 in its 2022 per-contract shape) with ``telecom.mgmt``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from samgak.institution.errors import INFO_ERRORS, error_responses
from samgak.institution.info.base import authorise
from samgak.institution.info.listing import ListedAsset, asset_list
from samgak.institution.info.paging import cut, with_next_page
from samgak.institution.info.params import (
    date_window,
    keyset_of,
    limit_of,
    month_window,
)
from samgak.institution.info.repository import TELECOM_PAID_PAGE, InfoRepository, keyset_params
from samgak.institution.wire import OK, as_text, body_doc, query_doc, respond

router = APIRouter(prefix="/v1/telecom", tags=["통신 (telecom)"], responses=error_responses(*INFO_ERRORS))


@router.get(
    "/telecoms",
    summary="통신-001 통신 계약 목록 조회",
    openapi_extra=query_doc("org_code", optional=("search_timestamp", "next_page", "limit")),
)
async def telecoms(request: Request) -> Response:
    """통신-001: the customer's contracts; ``limit`` defaults to 500 (the spec has no paging here)."""
    call = await authorise(request, "telecom.list")
    return await asset_list(
        call,
        kinds=("telecom", "telecom"),
        name="telecom",
        item=_contract,
    )


def _contract(asset: ListedAsset) -> dict[str, Any]:
    return {
        "mgmt_id": asset.key,
        "is_consent": asset.consented,
        "telecom_num": asset.detail["telecom_num"],
        "type": asset.detail["type"],
        "status": asset.status,
    }


@router.post(
    "/telecoms/bills",
    summary="통신-002 청구 정보 조회",
    openapi_extra=body_doc("org_code", "mgmt_id", "from_month", "to_month"),
)
async def telecom_bills(request: Request) -> Response:
    """통신-002 (2022 revision): one contract's monthly bills in the window, newest month first."""
    call = await authorise(request, "telecom.mgmt")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    window = month_window(payload.get("from_month"), payload.get("to_month"), call.api_type)
    asset = await call.asset(payload.get("mgmt_id"), kind="telecom", api_code="TC02")
    rows = await InfoRepository(call.reader).telecom_months(asset.id, window)
    charges = [
        as_text({"charge_month": month, "charge_amt": charge_amt, "charge_date": charge_date})
        for month, charge_amt, charge_date, _paid, _method in rows
    ]
    return respond({**OK, "charge_cnt": str(len(charges)), "charge_list": charges}, call.tran_id)


@router.post(
    "/telecoms/transactions",
    summary="통신-003 통신 거래내역(납입내역) 조회",
    openapi_extra=body_doc("org_code", "mgmt_id", "from_month", "to_month"),
)
async def telecom_transactions(request: Request) -> Response:
    """통신-003: months with a payment record, newest first; a missed month is ``paid_amt`` 0, no method."""
    call = await authorise(request, "telecom.mgmt")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    window = month_window(payload.get("from_month"), payload.get("to_month"), call.api_type)
    asset = await call.asset(payload.get("mgmt_id"), kind="telecom", api_code="TC03")
    rows = await InfoRepository(call.reader).telecom_months(asset.id, window)
    trans = [
        as_text({"trans_month": month, "paid_amt": paid, "pay_method": method})
        for month, _charge_amt, _charge_date, paid, method in rows
        if paid is not None
    ]
    return respond({**OK, "trans_cnt": str(len(trans)), "trans_list": trans}, call.tran_id)


@router.post(
    "/telecoms/paid-transactions",
    summary="통신-004 통신 결제내역 조회",
    openapi_extra=body_doc("org_code", "mgmt_id", "from_date", "to_date", "limit", optional=("next_page",)),
)
async def telecom_paid_transactions(request: Request) -> Response:
    """통신-004: carrier-billing micro-payments of one contract in the window, newest first."""
    call = await authorise(request, "telecom.mgmt")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    window = date_window(payload.get("from_date"), payload.get("to_date"), call.api_type)
    size = limit_of(payload.get("limit"))
    after = keyset_of(payload.get("next_page"))
    _currency, page = await call.asset_page(
        payload.get("mgmt_id"),
        kind="telecom",
        api_code="TC04",
        page=TELECOM_PAID_PAGE,
        params=keyset_params(window, after, size),
    )
    rows, cursor = cut(page, size, lambda r: (r[0], r[5]))
    regno = call.merchant_regno
    trans = []
    for dtime, amount, merchant, merchant_regno, title, _id in rows:
        item: dict[str, Any] = {"trans_date": dtime[:8], "trans_amt": amount, "merchant_name": merchant}
        if regno:
            item["merchant_regno"] = merchant_regno or None
        item["trans_title"] = title
        trans.append(as_text(item))
    body = {**OK, "trans_cnt": str(len(trans)), "trans_list": trans}
    return respond(with_next_page(body, cursor), call.tran_id)
