"""이체 — a bank member's transfer API for payment initiation, modelled on KFTC 오픈뱅킹.

출금이체 (withdraw) takes money out of a customer's account for a payee; 입금이체 (deposit)
puts money into an account. A registered service calls them with a client-credentials token
(scope ``transfer``); the customer's involvement is proven by the CI it presents
(``req_client_ci``), which must be the account holder's.

Invariants:

* **At most once.** A transfer is keyed by ``(client_id, bank_tran_date, bank_tran_id)`` — the
  unique key of ``gw_transfer``. The journal row and the posting to the account are written
  in one savepoint of the request's transaction: both are kept, or neither.
* **Replay answers the original.** A repeat whose business fields hash the same (SHA-256 of
  their canonical JSON) answers the original response, rebuilt from the journal row: the same
  ``api_tran_id``, ``api_tran_dtm`` and ``balance_amt``. Nothing is posted again. A repeat
  with other fields is refused (A0009) and changes nothing.
* **Concurrent duplicates.** The loser of the unique key rolls back its savepoint, its posting
  with it, and answers like a repeat.
* **A refusal leaves no trace.** Insufficient funds or a bad account write nothing, so
  ``/transfer/result`` answers 40402 for them: a platform that lost an answer resolves it by
  asking, and "unknown" means "not executed" once its own request has ended.
* The business day ``bank_tran_date`` is the day of the caller's ``tran_dtime`` (KST) when
  given, else the bank's today: a retry that keeps its ``tran_dtime`` dedupes across midnight.

Endpoints (``/v2.0``, all with scope ``transfer``):

===========================  =======  ===================================================
``POST /transfer/withdraw``  출금이체     take money out of the holder's account
``POST /transfer/deposit``   입금이체     put money into an account
``POST /transfer/result``    이체결과조회   the outcome of one transfer this client made
``POST /transfer/list``      거래내역 대사  every transfer this client made on one business day
``GET /account/balance``     잔액조회     the balance of the holder's account
===========================  =======  ===================================================

거래내역 대사 (reconciliation) is **samgak-defined**, in the family of KFTC's 이체결과조회: KFTC
publishes its 대사 file formats only to its members. The platform asks with ``bank_tran_date``
(YYYYMMDD) and pages on with ``next_key``; the answer lists, in journal order and at most
:data:`LIST_PAGE_SIZE` a page, the calling client's transfers of that day (never another
client's), each with ``bank_tran_id``, ``direction``, ``tran_amt``, ``account_num_masked`` and
``tran_dtime``. ``next_key`` is empty on the last page. Refused transfers left no trace, so they
are not listed: what is listed was executed.

Accounts: a deposit account (은행-001 ``kind`` deposit) in KRW with status ``01``. Withdrawals
come only from demand deposits (수시입출식, ``saving_method`` 01); deposits go into demand
deposits and installment savings (적립식, 03), never into a time deposit (거치식, 02), as at a
real bank counter. Every posting shows in 은행-004 with ``trans_class`` "이체" and the
``print_content`` as its memo (``trans_type`` 03 withdrawal, 04 deposit).

Response codes (HTTP, ``rsp_code``):

=====  =======  ======================================================================
200    A0000    처리 성공 (KFTC 오픈뱅킹)
409    A0009    같은 거래고유번호로 다른 거래를 요청했습니다 — **samgak-defined**
422    A0003    잔액이 부족합니다 — **samgak-defined**
400    40001    bad field (amount, ids, dates, names, ``next_key``; deposit: name ≠ account holder's)
400    40002    no ``x-api-tran-id`` (or, for the balance, no ``x-user-ci``)
401    40101    token missing, invalid or expired
401    40103    token revoked (its grant is gone or revoked)
401    40104    token without the ``transfer`` scope
401    40105    the CI presented is not the account holder's
403    40305    the account cannot take this transfer (state, product, currency)
404    40402    no such deposit account; no such transfer (``/transfer/result``)
404    40404    the account is closed
429    42902    client rate limit
=====  =======  ======================================================================

KFTC publishes its own A-codes for these cases only in its member documentation; A0003 and
A0009 are ours, in the same family, and documented here.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from samgak.institution.auth.service_call import ServiceCall
from samgak.institution.core import InsufficientFunds
from samgak.institution.errors import (
    AssetInvalidState,
    AssetNotConsented,
    BadParameter,
    ClosedAsset,
    MyDataError,
    UnknownAsset,
)
from samgak.institution.models import CoreAsset, GwTransfer
from samgak.institution.transfer.repository import ListedTransfer, TransferRepository
from samgak.institution.transfer.schemas import TransferOrder, api_tran_dtm, mask_account
from samgak.kit.crypto import equals
from samgak.kit.timeutil import format_dtime, utcnow

OK = {"rsp_code": "A0000", "rsp_msg": "처리 성공"}
BANK_OK = "000"
TRANS_CLASS = "이체"
CLOSED = frozenset({"02", "04", "09"})
WITHDRAW_FROM = frozenset({"01"})  # 수시입출식
DEPOSIT_INTO = frozenset({"01", "03"})  # 수시입출식, 적립식
LIST_PAGE_SIZE = 500  # transfers a page of 거래내역 대사


class InsufficientBalance(MyDataError):
    """잔액 부족: the withdrawal exceeds the balance; nothing was posted (samgak-defined A0003)."""

    status_code = 422
    rsp_code = "A0003"
    rsp_msg = "잔액이 부족합니다"


class TransferConflict(MyDataError):
    """The ``bank_tran_id`` of the day names another transfer already (samgak-defined A0009)."""

    status_code = 409
    rsp_code = "A0009"
    rsp_msg = "같은 거래고유번호로 다른 거래를 요청했습니다"


async def withdraw_transfer(call: ServiceCall, order: TransferOrder) -> dict[str, str]:
    """출금이체: take ``tran_amt`` out of the holder's account; the (original) answer."""
    return await _execute(call, order)


async def deposit_transfer(call: ServiceCall, order: TransferOrder) -> dict[str, str]:
    """입금이체: put ``tran_amt`` into the account; the (original) answer."""
    return await _execute(call, order)


async def transfer_result(call: ServiceCall, bank_tran_id: str, bank_tran_date: str) -> dict[str, str]:
    """이체결과조회: the outcome of a transfer this client made, or 40402 when it never happened."""
    repo = TransferRepository.from_session(call.session)
    row = await repo.transfer(call.client_id, bank_tran_date, bank_tran_id)
    if row is None:
        raise UnknownAsset("해당 거래가 없습니다 (처리되지 않은 거래)")
    account = await repo.account_by_id(row.asset_id)
    assert account is not None
    now = utcnow()
    return {
        **OK,
        "api_tran_id": new_api_tran_id(),
        "api_tran_dtm": api_tran_dtm(now),
        "bank_tran_id": row.bank_tran_id,
        "bank_tran_date": row.bank_tran_date,
        "bank_rsp_code": BANK_OK,
        "direction": row.direction,
        "account_num_masked": mask_account(account.asset_key),
        "tran_amt": str(row.tran_amt),
        "balance_amt": str(row.balance_amt),
        "status": "SUCCESS",
    }


async def transfer_list(call: ServiceCall, bank_tran_date: str, next_key: int | None) -> dict[str, Any]:
    """거래내역 대사 (samgak-defined, in the family of KFTC's 이체결과조회): a page of this client's
    transfers of one business day, in journal order; ``next_key`` is empty on the last page."""
    repo = TransferRepository.from_session(call.session)
    rows = await repo.day_transfers(
        call.client_id, bank_tran_date, after_id=next_key, limit=LIST_PAGE_SIZE + 1
    )
    page = rows[:LIST_PAGE_SIZE]
    more = len(rows) > LIST_PAGE_SIZE
    now = utcnow()
    return {
        **OK,
        "api_tran_id": new_api_tran_id(),
        "api_tran_dtm": api_tran_dtm(now),
        "bank_tran_date": bank_tran_date,
        "res_cnt": str(len(page)),
        "next_key": str(page[-1].id) if more else "",
        "res_list": [_listed(row) for row in page],
    }


async def account_balance(call: ServiceCall, account_num: str, user_ci: str) -> dict[str, str]:
    """잔액조회 of the holder's deposit account; ``available_amt`` is what a withdrawal may take."""
    repo = TransferRepository.from_session(call.session)
    account = await _deposit_account(repo, account_num)
    await _check_holder_ci(call, account, user_ci)
    if account.status in CLOSED:
        raise ClosedAsset(f"{account_num} 계좌는 해지되었습니다")
    await call.institution.core.ensure_history(call.session, account.customer_id)
    balance = await repo.balance(account.id) or 0
    withdrawable = account.status == "01" and _saving_method(account) in WITHDRAW_FROM
    now = utcnow()
    return {
        **OK,
        "api_tran_id": new_api_tran_id(),
        "api_tran_dtm": api_tran_dtm(now),
        "account_num_masked": mask_account(account.asset_key),
        "balance_amt": str(balance),
        "available_amt": str(balance if withdrawable else 0),
    }


def new_api_tran_id() -> str:
    return str(uuid.uuid4())


def transfer_answer(row: GwTransfer, account_num: str) -> dict[str, str]:
    """The response of a transfer, rebuilt the same way every time it is asked for."""
    return {
        **OK,
        "api_tran_id": row.api_tran_id,
        "api_tran_dtm": api_tran_dtm(row.created_at),
        "bank_tran_id": row.bank_tran_id,
        "bank_tran_date": row.bank_tran_date,
        "bank_rsp_code": BANK_OK,
        "account_num_masked": mask_account(account_num),
        "tran_amt": str(row.tran_amt),
        "balance_amt": str(row.balance_amt),
    }


# --------------------------------------------------------------------------- internals


async def _execute(call: ServiceCall, order: TransferOrder) -> dict[str, str]:
    institution, session = call.institution, call.session
    repo = TransferRepository.from_session(session)
    digest = order.digest(institution.digest(order.client_ci) if order.client_ci is not None else None)
    previous = await repo.transfer(call.client_id, order.bank_tran_date, order.bank_tran_id)
    if previous is not None:
        return _replay(previous, digest, order)

    account = await _deposit_account(repo, order.account_num)
    if order.direction == "withdraw":
        assert order.client_ci is not None
        await _check_holder_ci(call, account, order.client_ci)
    _check_open(account, WITHDRAW_FROM if order.direction == "withdraw" else DEPOSIT_INTO)
    if order.direction == "deposit":
        holder = await repo.holder_name(account.customer_id)
        if holder is None or _bare(holder) != _bare(order.holder_name or ""):
            raise BadParameter("recv_client_name이 계좌 예금주 성명과 다릅니다")
    await institution.core.ensure_history(session, account.customer_id)

    now = utcnow()
    row = GwTransfer(
        client_id=call.client_id,
        bank_tran_id=order.bank_tran_id,
        bank_tran_date=order.bank_tran_date,
        direction=order.direction,
        asset_id=account.id,
        tran_amt=order.tran_amt,
        balance_amt=0,
        counterparty_name=order.counterparty_name,
        print_content=order.print_content,
        request_digest=digest,
        api_tran_id=new_api_tran_id(),
        tran_dtime=format_dtime(now),
        created_at=now,
    )
    amount = -order.tran_amt if order.direction == "withdraw" else order.tran_amt
    try:
        async with session.begin_nested():
            await repo.add(row)  # claims the key first: a concurrent duplicate waits here, then fails
            row.balance_amt = await institution.core.post_transfer(
                session,
                asset_id=account.id,
                amount=amount,
                trans_class=TRANS_CLASS,
                memo=order.print_content,
                dtime=row.tran_dtime,
            )
            await session.flush()
    except IntegrityError:
        stored = await repo.transfer(call.client_id, order.bank_tran_date, order.bank_tran_id)
        if stored is None:
            raise
        return _replay(stored, digest, order)
    except InsufficientFunds:
        raise InsufficientBalance() from None
    return transfer_answer(row, order.account_num)


def _listed(row: ListedTransfer) -> dict[str, str]:
    return {
        "bank_tran_id": row.bank_tran_id,
        "direction": row.direction,
        "tran_amt": str(row.tran_amt),
        "account_num_masked": mask_account(row.asset_key),
        "tran_dtime": row.tran_dtime,
    }


def _replay(stored: GwTransfer, digest: str, order: TransferOrder) -> dict[str, str]:
    if not equals(stored.request_digest, digest):
        raise TransferConflict()
    return transfer_answer(stored, order.account_num)


async def _deposit_account(repo: TransferRepository, account_num: str) -> CoreAsset:
    account = await repo.account(account_num)
    if account is None or account.kind != "deposit":
        raise UnknownAsset(f"{account_num} 계좌가 없습니다")
    return account


async def _check_holder_ci(call: ServiceCall, account: CoreAsset, presented: str) -> None:
    holder_ci = await call.institution.core.customer_ci(call.session, account.customer_id)
    if not equals(holder_ci, presented):
        raise AssetNotConsented("요청한 고객의 계좌가 아닙니다")


def _check_open(account: CoreAsset, saving_methods: frozenset[str]) -> None:
    if account.status in CLOSED:
        raise ClosedAsset(f"{account.asset_key} 계좌는 해지되었습니다")
    if account.status != "01":
        raise AssetInvalidState(f"{account.asset_key} 계좌는 이체할 수 없는 상태입니다")
    detail = _detail(account)
    if detail.get("currency_code", "KRW") != "KRW":
        raise AssetInvalidState("원화 계좌만 이체할 수 있습니다")
    if _saving_method(account) not in saving_methods:
        raise AssetInvalidState(f"{account.asset_key} 계좌의 상품은 이 이체를 받을 수 없습니다")


def _detail(account: CoreAsset) -> dict[str, Any]:
    value = json.loads(account.detail) if isinstance(account.detail, str) else account.detail
    return value if isinstance(value, dict) else {}


def _saving_method(account: CoreAsset) -> str:
    return str(_detail(account).get("saving_method") or "01")


def _bare(name: str) -> str:
    return "".join(name.split())
