"""Checkout: the customer approves a payment request and the platform takes the money.

The walk (ISO 20022 status codes, ``ExternalPaymentTransactionStatus1Code``):

* ``RCVD`` — the merchant's request is received; its checkout page awaits the customer.
* ``ACTC`` — the customer signed in with the alliance identity, chose a bank account (one linked
  through MyData, or one entered and checked at its bank as theirs) and approved with a passkey
  step-up whose receipt binds exactly this amount, this payee and this payment (dynamic linking).
* ``ACSP`` — the withdrawal instruction is written (its ``bank_tran_id`` fixed) and on its way.
* ``ACSC`` — the bank executed it: in the same unit of work the ledger posts the capture (the
  bank's clearing account debited; the merchant's payable and the fee credited) and the
  merchant's ``payment.succeeded`` event is written to the outbox.
* ``RJCT`` — the bank refused (reason in words); nothing was taken.
* ``CANC`` — cancelled by the customer or the merchant before approval, or expired unapproved.

Each move is a conditional update from the state before, so a retried or concurrent request, or
the completer, never moves a payment twice; what a crash interrupts the completer finishes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak import identity, ledger
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow
from samgak.payments.bank_client import BankRefused, BankUnknown, Withdrawal
from samgak.payments.errors import BadRequest, Conflict, NotFound, Unavailable
from samgak.payments.instructions import new_order, posting_key, write
from samgak.payments.models import PaymentsInstruction, PaymentsMerchant, PaymentsPayment
from samgak.payments.repository import PaymentsRepository
from samgak.payments.runtime import Payments
from samgak.payments.service import FEES_ACCOUNT, clearing_account, payable_account, payment_body
from samgak.payments.webhooks import record

BANK_REASONS = {
    "A0003": "잔액이 부족합니다",
    "40105": "고객 본인 명의의 계좌가 아닙니다",
    "40305": "출금할 수 없는 계좌입니다 (입출금 계좌만 가능)",
    "40402": "계좌가 없습니다",
    "40404": "해지된 계좌입니다",
}
STATUS_KO = {
    "RCVD": "결제 대기",
    "ACTC": "승인됨",
    "ACSP": "출금 처리 중",
    "ACSC": "결제 완료",
    "RJCT": "거절됨",
    "CANC": "취소됨",
}


def payee_of(merchant: PaymentsMerchant) -> str:
    """The payee the customer sees and signs: the merchant's name and its id in the network."""
    return f"{merchant.name} ({merchant.id})"


def fee_of(amount: int, fee_bps: int) -> int:
    """The merchant's fee in whole won, rounded down (the merchant is never charged a part won)."""
    return amount * fee_bps // 10_000


@dataclass(frozen=True, slots=True)
class Checkout:
    """What the checkout page shows."""

    payment: PaymentsPayment
    merchant: PaymentsMerchant
    items: list[dict[str, Any]]

    @property
    def payee(self) -> str:
        return payee_of(self.merchant)


@dataclass(frozen=True, slots=True)
class Payer:
    subject: str
    ci: str
    name: str


async def checkout_of(database: Database, payment_id: str) -> Checkout:
    async with database.read_sessions() as session:
        repo = PaymentsRepository(session)
        payment = await repo.payment(payment_id)
        merchant = await repo.merchant(payment.merchant_id) if payment else None
    if payment is None or merchant is None:
        raise NotFound("결제 요청을 찾을 수 없습니다. 가맹점에서 다시 결제를 시작하세요")
    return Checkout(payment, merchant, json.loads(payment.items))


async def approve(
    database: Database,
    payments: Payments,
    provider: identity.Provider,
    payer: Payer,
    payment_id: str,
    *,
    receipt: str,
    org_code: str,
    account_num: str,
    linked: bool,
) -> PaymentsInstruction:
    """RCVD → ACTC → ACSP: check the step-up receipt and the account, then write the withdrawal.

    An account not linked through MyData is checked at its bank first (잔액조회 with the payer's
    CI: it must be theirs and hold the amount). Refusals change nothing: the page can try again."""
    shown = await checkout_of(database, payment_id)
    if shown.payment.status != "RCVD":  # a retry of an approval that went through, or too late
        raise Conflict(f"이미 {STATUS_KO.get(shown.payment.status, shown.payment.status)} 상태인 결제입니다")
    async with database.read_sessions() as session:
        claims = await identity.verify_receipt(session, provider, receipt)
    txn = (claims or {}).get("txn", {})
    if (
        claims is None
        or claims.get("sub") != payer.subject
        or (txn.get("amount"), txn.get("payee"), txn.get("reference"))
        != (shown.payment.amount, shown.payee, shown.payment.id)
    ):
        raise BadRequest(
            "패스키 승인이 이 결제와 맞지 않거나 만료되었습니다. 다시 승인하세요", code="sca_mismatch"
        )
    if org_code not in payments.banks:
        raise BadRequest("출금할 은행을 고르세요")
    account_num = account_num.replace("-", "").strip()
    if not account_num.isdigit():
        raise BadRequest("계좌번호는 숫자입니다")
    if not linked:
        await _check_entered(payments, org_code, account_num, payer.ci, shown.payment.amount)
    now = utcnow()
    async with database.unit_of_work() as session:
        moved = await PaymentsRepository(session).move_payment(
            payment_id,
            "RCVD",
            status="ACTC",
            payer_subject=payer.subject,
            payer_org=org_code,
            payer_masked=f"{account_num[:4]}-****-{account_num[-4:]}",
            payer_sealed=payments.sealer.seal(
                json.dumps({"ci": payer.ci, "name": payer.name, "account": account_num}, ensure_ascii=False)
            ),
            fee=fee_of(shown.payment.amount, shown.merchant.fee_bps),
            updated_at=now,
        )
    if not moved:
        raise Conflict(f"이미 {STATUS_KO.get(shown.payment.status, shown.payment.status)} 상태인 결제입니다")
    instruction = await instruct(database, payments, payment_id)
    assert instruction is not None  # we moved it to ACTC ourselves
    return instruction


async def _check_entered(payments: Payments, org_code: str, account_num: str, ci: str, amount: int) -> None:
    try:
        available = await payments.bank(org_code).holds(account_num, ci)
    except BankRefused:
        raise BadRequest(
            "본인 명의의 입출금 계좌가 아니거나 없는 계좌입니다. 은행과 계좌번호를 확인하세요",
            code="account_refused",
        ) from None
    except BankUnknown:
        raise Unavailable("은행에 연결할 수 없습니다. 잠시 후 다시 시도하세요") from None
    if available < amount:
        raise BadRequest("계좌 잔액이 결제 금액보다 적습니다", code="insufficient_funds")


async def instruct(database: Database, payments: Payments, payment_id: str) -> PaymentsInstruction | None:
    """ACTC → ACSP with the withdrawal written in the same unit of work (``None``: it moved on)."""
    async with database.unit_of_work() as session:
        repo = PaymentsRepository(session)
        payment = await repo.payment(payment_id)
        merchant = await repo.merchant(payment.merchant_id) if payment else None
        if payment is None or merchant is None or payment.payer_sealed is None or payment.payer_org is None:
            return None
        payer = json.loads(payments.sealer.open(payment.payer_sealed))
        if not await repo.move_payment(payment_id, "ACTC", status="ACSP", updated_at=utcnow()):
            return None
        order = new_order(
            Withdrawal,
            account_num=payer["account"],
            client_ci=payer["ci"],
            amount=payment.amount,
            print_content=f"삼각페이 {merchant.name}"[:20],
            payee_name=merchant.name[:30],
        )
        return await write(session, payments.sealer, payment.id, payment.payer_org, order)


async def captured(session: AsyncSession, payments: Payments, instruction: PaymentsInstruction) -> None:
    """ACSP → ACSC, the capture posted to the ledger and the merchant's event, in one unit of work."""
    repo = PaymentsRepository(session)
    now = utcnow()
    if not await repo.move_payment(
        instruction.reference, "ACSP", status="ACSC", captured_at=now, updated_at=now
    ):
        return
    payment = await session.get(PaymentsPayment, instruction.reference, populate_existing=True)
    assert payment is not None
    legs = [
        ledger.Leg(clearing_account(instruction.org_code), payment.amount),
        ledger.Leg(payable_account(payment.merchant_id), -(payment.amount - payment.fee)),
    ]
    if payment.fee:
        legs.append(ledger.Leg(FEES_ACCOUNT, -payment.fee))
    await ledger.post(session, ledger.Transfer(posting_key(payment.id), "payment", tuple(legs)))
    await record(session, payment.merchant_id, "payment.succeeded", payment_body(payment, payments.base_url))


async def rejected(
    session: AsyncSession, payments: Payments, instruction: PaymentsInstruction, bank_code: str | None
) -> None:
    """ACSP → RJCT with the bank's reason in words; nothing was taken."""
    reason = BANK_REASONS.get(bank_code or "", f"은행이 출금을 거절했습니다 ({bank_code})")
    repo = PaymentsRepository(session)
    if not await repo.move_payment(
        instruction.reference, "ACSP", status="RJCT", reason=reason, updated_at=utcnow()
    ):
        return
    payment = await session.get(PaymentsPayment, instruction.reference, populate_existing=True)
    assert payment is not None
    await record(session, payment.merchant_id, "payment.failed", payment_body(payment, payments.base_url))


async def expire(database: Database, payments: Payments) -> int:
    """RCVD → CANC for requests older than ``settings.payments.request_minutes``; the merchant told."""
    now = utcnow()
    async with database.unit_of_work() as session:
        expired = await PaymentsRepository(session).expire_requests(
            now - timedelta(minutes=payments.settings.payments.request_minutes), now
        )
        for payment in expired:
            body = payment_body(payment, payments.base_url) | {"canceled_by": "platform"}
            await record(session, payment.merchant_id, "payment.canceled", body)
    return len(expired)


async def cancel(
    session: AsyncSession, payments: Payments, payment_id: str, *, merchant_id: str | None
) -> dict[str, Any]:
    """RCVD → CANC, by the merchant (its API, ``merchant_id``) or the customer (the checkout page)."""
    repo = PaymentsRepository(session)
    payment = await repo.payment(payment_id)
    if payment is None or (merchant_id is not None and payment.merchant_id != merchant_id):
        raise NotFound("결제를 찾을 수 없습니다")
    if not await repo.move_payment(payment_id, "RCVD", status="CANC", reason="취소됨", updated_at=utcnow()):
        raise Conflict(f"{STATUS_KO.get(payment.status, payment.status)} 상태의 결제는 취소할 수 없습니다")
    await session.refresh(payment)
    body = payment_body(payment, payments.base_url)
    await record(
        session,
        payment.merchant_id,
        "payment.canceled",
        body | {"canceled_by": "merchant" if merchant_id else "customer"},
    )
    return body
