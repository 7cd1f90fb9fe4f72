"""Bank (은행) 정보제공 APIs: 은행-001..004 (deposit accounts) and 은행-008..010 (loans).

MyData standard 4.1/4.2, v1 paths. Deposit accounts answer with ``bank.deposit``, loans with
``bank.loan``; the account list always with ``bank.list``.
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
    now_timestamp,
    search_timestamp_of,
    unchanged,
)
from samgak.institution.info.repository import DEPOSIT_TX_PAGE, LOAN_TX_PAGE, InfoRepository, keyset_params
from samgak.institution.wire import OK, as_text, body_doc, query_doc, respond
from samgak.kit.timeutil import add_months

router = APIRouter(prefix="/v1/bank", tags=["은행 (bank)"], responses=error_responses(*INFO_ERRORS))


@router.get(
    "/accounts",
    summary="은행-001 계좌 목록 조회",
    openapi_extra=query_doc("org_code", optional=("search_timestamp", "next_page", "limit")),
)
async def accounts(request: Request) -> Response:
    call = await authorise(request, "bank.list")
    return await asset_list(
        call,
        kinds=("deposit", "loan"),
        name="account",
        item=_account,
        with_reg_date=True,
    )


def _account(asset: ListedAsset) -> dict[str, Any]:
    d = asset.detail
    item = {
        "account_num": asset.key,
        "is_consent": asset.consented,
        "seqno": asset.seqno,
        "prod_name": d["prod_name"],
        "account_type": d["account_type"],
        "account_status": asset.status,
    }
    if asset.kind == "deposit":
        item |= {"is_foreign_deposit": d["is_foreign_deposit"], "is_minus": d["is_minus"]}
    return item


@router.post(
    "/accounts/deposit/basic",
    summary="은행-002 수신계좌 기본정보 조회",
    openapi_extra=body_doc(
        "org_code",
        "account_num",
        optional=(
            "seqno",
            "search_timestamp",
        ),
    ),
)
async def deposit_basic(request: Request) -> Response:
    call = await authorise(request, "bank.deposit")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    since = search_timestamp_of(payload.get("search_timestamp"))
    asset = await call.asset(payload.get("account_num"), kind="deposit", api_code="BA02")
    if unchanged(since, asset.modified_at):
        return respond({**OK, "search_timestamp": since, "basic_cnt": "0", "basic_list": []}, call.tran_id)
    d = asset.detail
    basic = {
        "currency_code": d["currency_code"],
        "saving_method": d["saving_method"],
        "issue_date": d["issue_date"],
        "exp_date": d["exp_date"],
        "commit_amt": d["commit_amt"],
        "monthly_paid_in_amt": d["monthly_paid_in_amt"],
    }
    return respond(
        {**OK, "search_timestamp": now_timestamp(), "basic_cnt": "1", "basic_list": [as_text(basic)]},
        call.tran_id,
    )


@router.post(
    "/accounts/deposit/detail",
    summary="은행-003 수신계좌 추가정보 조회",
    openapi_extra=body_doc(
        "org_code",
        "account_num",
        optional=(
            "seqno",
            "search_timestamp",
        ),
    ),
)
async def deposit_detail(request: Request) -> Response:
    call = await authorise(request, "bank.deposit")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    search_timestamp_of(payload.get("search_timestamp"))
    asset = await call.asset(payload.get("account_num"), kind="deposit", api_code="BA03")
    balance = asset.balance_amt or 0
    detail = {
        "currency_code": asset.detail["currency_code"],
        "balance_amt": balance,
        "withdrawable_amt": balance,
        "offered_rate": asset.detail["offered_rate"],
    }
    return respond(
        {**OK, "search_timestamp": now_timestamp(), "detail_cnt": "1", "detail_list": [as_text(detail)]},
        call.tran_id,
    )


@router.post(
    "/accounts/deposit/transactions",
    summary="은행-004 수신계좌 거래내역 조회",
    openapi_extra=body_doc(
        "org_code",
        "account_num",
        "from_date",
        "to_date",
        "limit",
        optional=(
            "seqno",
            "next_page",
        ),
    ),
)
async def deposit_transactions(request: Request) -> Response:
    call = await authorise(request, "bank.deposit")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    window = date_window(payload.get("from_date"), payload.get("to_date"), call.api_type)
    size = limit_of(payload.get("limit"))
    after = keyset_of(payload.get("next_page"))
    currency, page = await call.asset_page(
        payload.get("account_num"),
        kind="deposit",
        api_code="BA04",
        page=DEPOSIT_TX_PAGE,
        params=keyset_params(window, after, size),
    )
    rows, cursor = cut(page, size, lambda r: (r[0], r[7]))
    memo = call.trans_memo
    trans = []
    for dtime, no, ttype, tclass, amount, balance, trans_memo, _id in rows:
        item = {
            "trans_dtime": dtime,
            "trans_no": no,
            "trans_type": ttype,
            "trans_class": tclass,
            "currency_code": currency,
            "trans_amt": str(amount),
            "balance_amt": str(balance),
        }
        if memo:
            item["trans_memo"] = trans_memo
        trans.append(item)
    body = {**OK, "trans_cnt": str(len(trans)), "trans_list": trans}
    return respond(with_next_page(body, cursor), call.tran_id)


@router.post(
    "/accounts/loan/basic",
    summary="은행-008 대출상품계좌 기본정보 조회",
    openapi_extra=body_doc(
        "org_code",
        "account_num",
        optional=(
            "seqno",
            "search_timestamp",
        ),
    ),
)
async def loan_basic(request: Request) -> Response:
    call = await authorise(request, "bank.loan")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    since = search_timestamp_of(payload.get("search_timestamp"))
    asset = await call.asset(payload.get("account_num"), kind="loan", api_code="BA21")
    if unchanged(since, asset.modified_at):
        return respond({**OK, "search_timestamp": since}, call.tran_id)
    d = asset.detail
    basic = {
        k: d[k]
        for k in (
            "holder_name",
            "issue_date",
            "exp_date",
            "last_offered_rate",
            "repay_date",
            "repay_method",
            "repay_org_code",
            "repay_account_num",
        )
    }
    return respond({**OK, "search_timestamp": now_timestamp(), **as_text(basic)}, call.tran_id)


@router.post(
    "/accounts/loan/detail",
    summary="은행-009 대출상품계좌 추가정보 조회",
    openapi_extra=body_doc(
        "org_code",
        "account_num",
        optional=(
            "seqno",
            "search_timestamp",
        ),
    ),
)
async def loan_detail(request: Request) -> Response:
    call = await authorise(request, "bank.loan")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    search_timestamp_of(payload.get("search_timestamp"))
    asset = await call.asset(payload.get("account_num"), kind="loan", api_code="BA22")
    balance = asset.balance_amt or 0
    last = await InfoRepository(call.reader).last_loan_payment(asset.id)
    detail: dict[str, Any] = {
        "currency_code": "KRW",
        "balance_amt": balance,
        "loan_principal": asset.detail["loan_principal"],
    }
    if balance and last:
        detail["next_repay_date"] = _next_month(last[:8], asset.detail["repay_date"])
    return respond({**OK, "search_timestamp": now_timestamp(), **as_text(detail)}, call.tran_id)


@router.post(
    "/accounts/loan/transactions",
    summary="은행-010 대출상품계좌 거래내역 조회",
    openapi_extra=body_doc(
        "org_code",
        "account_num",
        "from_date",
        "to_date",
        "limit",
        optional=(
            "seqno",
            "next_page",
        ),
    ),
)
async def loan_transactions(request: Request) -> Response:
    call = await authorise(request, "bank.loan")
    payload = await call.json()
    call.check_org(payload.get("org_code"))
    window = date_window(payload.get("from_date"), payload.get("to_date"), call.api_type, scheduled_days=92)
    size = limit_of(payload.get("limit"))
    after = keyset_of(payload.get("next_page"))
    _currency, page = await call.asset_page(
        payload.get("account_num"),
        kind="loan",
        api_code="BA23",
        page=LOAN_TX_PAGE,
        params=keyset_params(window, after, size),
    )
    rows, cursor = cut(page, size, lambda r: (r[0], r[10]))
    trans = []
    for dtime, no, ttype, amount, balance, principal, interest, rate, int_start, int_end, _id in rows:
        item: dict[str, Any] = {
            "trans_dtime": dtime,
            "trans_no": no,
            "trans_type": ttype,
            "currency_code": "KRW",
            "trans_amt": amount,
            "balance_amt": balance,
            "principal_amt": principal,
            "int_amt": interest,
            "int_cnt": 1 if interest else 0,
        }
        if interest:
            item["int_list"] = [
                {"int_start_date": int_start, "int_end_date": int_end, "int_rate": rate, "int_type": "02"}
            ]
        trans.append(as_text(item))
    body = {**OK, "trans_cnt": str(len(trans)), "trans_list": trans}
    return respond(with_next_page(body, cursor), call.tran_id)


def _next_month(last_date: str, repay_day: str) -> str:
    year, month = add_months(int(last_date[:4]), int(last_date[4:6]), 1)
    return f"{year}{month:02d}{int(repay_day):02d}"
