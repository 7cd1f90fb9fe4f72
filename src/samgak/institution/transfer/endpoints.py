"""HTTP face of the transfer API (KFTC 오픈뱅킹 paths, ``/v2.0``): thin handlers over :mod:`.service`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response

from samgak.institution.auth.service_call import ServiceCall, service_call
from samgak.institution.errors import (
    AssetInvalidState,
    AssetNotConsented,
    BadParameter,
    ClosedAsset,
    InvalidToken,
    MissingHeader,
    RateLimited,
    RevokedToken,
    ScopeNotGranted,
    UnknownAsset,
    error_responses,
)
from samgak.institution.transfer.schemas import (
    read_account_num,
    read_bank_tran_date,
    read_bank_tran_id,
    read_deposit,
    read_next_key,
    read_withdraw,
)
from samgak.institution.transfer.service import (
    InsufficientBalance,
    TransferConflict,
    account_balance,
    deposit_transfer,
    transfer_list,
    transfer_result,
    withdraw_transfer,
)
from samgak.institution.wire import body_doc, json_body, respond

router = APIRouter(prefix="/v2.0", tags=["이체 (transfer)"])
transfer_call = service_call("transfer")


_AUTH = (BadParameter, MissingHeader, InvalidToken, RevokedToken, ScopeNotGranted, RateLimited)
_POSTING = (
    *_AUTH,
    AssetNotConsented,
    AssetInvalidState,
    UnknownAsset,
    ClosedAsset,
    InsufficientBalance,
    TransferConflict,
)


@router.post(
    "/transfer/withdraw",
    summary="출금이체",
    responses=error_responses(*_POSTING),
    openapi_extra=body_doc(
        "bank_tran_id",
        "account_num",
        "req_client_ci",
        "tran_amt",
        optional=("tran_dtime", "print_content", "recv_client_name"),
    ),
)
async def withdraw(
    payload: dict[str, Any] = Depends(json_body), call: ServiceCall = Depends(transfer_call)
) -> Response:
    """Withdraw ``tran_amt`` from the account of the customer whose CI is ``req_client_ci``.

    Idempotent per ``(bank_tran_date, bank_tran_id)``: a repeat answers the original response.
    """
    return respond(await withdraw_transfer(call, read_withdraw(payload)), call.tran_id)


@router.post(
    "/transfer/deposit",
    summary="입금이체",
    responses=error_responses(*_POSTING),
    openapi_extra=body_doc(
        "bank_tran_id",
        "recv_account_num",
        "recv_client_name",
        "tran_amt",
        optional=("tran_dtime", "print_content", "req_client_name"),
    ),
)
async def deposit(
    payload: dict[str, Any] = Depends(json_body), call: ServiceCall = Depends(transfer_call)
) -> Response:
    """Deposit ``tran_amt`` into ``recv_account_num``; ``recv_client_name`` must be the holder's."""
    return respond(await deposit_transfer(call, read_deposit(payload)), call.tran_id)


@router.post(
    "/transfer/result",
    summary="이체결과조회",
    responses=error_responses(*_AUTH, UnknownAsset),
    openapi_extra=body_doc("bank_tran_id", "bank_tran_date"),
)
async def result(
    payload: dict[str, Any] = Depends(json_body), call: ServiceCall = Depends(transfer_call)
) -> Response:
    """The outcome of a transfer this client made; 40402 means it was never executed."""
    bank_tran_id = read_bank_tran_id(payload.get("bank_tran_id"))
    bank_tran_date = read_bank_tran_date(payload.get("bank_tran_date"))
    return respond(await transfer_result(call, bank_tran_id, bank_tran_date), call.tran_id)


@router.post(
    "/transfer/list",
    summary="거래내역 대사",
    responses=error_responses(*_AUTH),
    openapi_extra=body_doc("bank_tran_date", optional=("next_key",)),
)
async def transfer_listing(
    payload: dict[str, Any] = Depends(json_body), call: ServiceCall = Depends(transfer_call)
) -> Response:
    """거래내역 대사 (samgak-defined, in the family of KFTC's 이체결과조회, whose 대사 file formats
    KFTC publishes only to members): this client's transfers of ``bank_tran_date``, at most 500 a
    page in journal order; pass the answer's ``next_key`` for the next page (empty: no more)."""
    bank_tran_date = read_bank_tran_date(payload.get("bank_tran_date"))
    next_key = read_next_key(payload.get("next_key"))
    return respond(await transfer_list(call, bank_tran_date, next_key), call.tran_id)


@router.get(
    "/account/balance",
    summary="잔액조회",
    responses=error_responses(*_AUTH, AssetNotConsented, UnknownAsset, ClosedAsset),
)
async def balance(
    account_num: str | None = Query(None),
    x_user_ci: str | None = Header(None, description="the account holder's CI (as in 개별인증-001)"),
    call: ServiceCall = Depends(transfer_call),
) -> Response:
    """Balance of the holder's deposit account. The holder's CI comes in ``x-user-ci`` (never in
    the URL), so a service sees only the balances of customers who involved it."""
    if not x_user_ci:
        raise MissingHeader("x-user-ci 헤더가 없습니다")
    body = await account_balance(call, read_account_num(account_num), x_user_ci)
    return respond(body, call.tran_id)
