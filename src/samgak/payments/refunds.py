"""Refunds: full or partial, many per payment, never more than was captured, idempotent.

A refund claims its amount from the payment with one conditional update (``refunded + amount ≤
amount``, the payment captured), so concurrent refunds can never together exceed the capture.
The deposit back to the payer's account is written in the same unit of work and sent after it
(``ACSP``); when the bank executes it the refund is ``ACSC`` and the ledger moves the amount from
the merchant's payable back out of the clearing account. A refusal (``RJCT``) gives the amount
back to the payment. The fee is not refunded.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak import ledger
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow
from samgak.payments.bank_client import Deposit
from samgak.payments.errors import BadRequest, Conflict, NotFound
from samgak.payments.instructions import new_order, posting_key, write
from samgak.payments.models import PaymentsInstruction, PaymentsRefund
from samgak.payments.repository import PaymentsRepository
from samgak.payments.runtime import Payments
from samgak.payments.service import Answer, clearing_account, payable_account
from samgak.payments.webhooks import record

STATUS_KO = {"ACSP": "환불 처리 중", "ACSC": "환불 완료", "RJCT": "환불 거절"}


def refund_body(refund: PaymentsRefund) -> dict[str, Any]:
    return {
        "refund_id": refund.id,
        "payment_id": refund.payment_id,
        "amount": refund.amount,
        "reason": refund.reason,
        "status": refund.status,
        "created_at": refund.created_at.isoformat(),
        "done_at": refund.done_at.isoformat() if refund.done_at else None,
    }


async def refund_of(database: Database, merchant_id: str, refund_id: str) -> dict[str, Any]:
    async with database.read_sessions() as session:
        refund = await PaymentsRepository(session).refund(refund_id)
    if refund is None or refund.merchant_id != merchant_id:
        raise NotFound("환불을 찾을 수 없습니다")
    return refund_body(refund)


async def create_refund(
    session: AsyncSession, payments: Payments, merchant_id: str, payment_id: str, body: Any
) -> tuple[Answer, PaymentsInstruction]:
    """Claim the amount and write the deposit back (the caller sends it after the commit)."""
    if not isinstance(body, dict):
        raise BadRequest("요청 본문은 JSON 객체입니다")
    repo = PaymentsRepository(session)
    payment = await repo.payment(payment_id)
    if payment is None or payment.merchant_id != merchant_id:
        raise NotFound("결제를 찾을 수 없습니다")
    amount = body.get("amount", payment.amount - payment.refunded)
    reason = body.get("reason")
    if type(amount) is not int or amount < 1:
        raise BadRequest("amount는 1원 이상 정수(원)입니다")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 200):
        raise BadRequest("reason은 200자 이하 문자열입니다")
    now = utcnow()
    if not await repo.take_refundable(payment_id, merchant_id, amount, now):
        if payment.status != "ACSC":
            raise Conflict("결제가 완료(ACSC)된 뒤에만 환불할 수 있습니다")
        left = payment.amount - payment.refunded
        raise BadRequest(f"환불할 수 있는 금액은 {left:,}원입니다", code="refund_exceeds_captured")
    assert payment.payer_sealed is not None and payment.payer_org is not None
    merchant = await repo.merchant(merchant_id)
    assert merchant is not None
    refund = PaymentsRefund(
        id=f"R{secrets.token_hex(10).upper()}",
        payment_id=payment_id,
        merchant_id=merchant_id,
        amount=amount,
        reason=reason,
        status="ACSP",
        created_at=now,
        done_at=None,
    )
    await repo.add(refund)
    payer = json.loads(payments.sealer.open(payment.payer_sealed))
    order = new_order(
        Deposit,
        account_num=payer["account"],
        holder_name=payer["name"],
        amount=amount,
        print_content=f"환불 {merchant.name}"[:20],
        payer_name="삼각페이",
    )
    instruction = await write(session, payments.sealer, refund.id, payment.payer_org, order)
    return Answer(201, refund_body(refund)), instruction


async def refunded(session: AsyncSession, payments: Payments, instruction: PaymentsInstruction) -> None:
    """ACSP → ACSC, posted to the ledger, the merchant told."""
    repo = PaymentsRepository(session)
    now = utcnow()
    if not await repo.move_refund(instruction.reference, "ACSP", status="ACSC", done_at=now):
        return
    refund = await session.get(PaymentsRefund, instruction.reference, populate_existing=True)
    assert refund is not None
    legs = (
        ledger.Leg(payable_account(refund.merchant_id), refund.amount),
        ledger.Leg(clearing_account(instruction.org_code), -refund.amount),
    )
    await ledger.post(session, ledger.Transfer(posting_key(refund.id), "refund", legs))
    await record(session, refund.merchant_id, "refund.succeeded", refund_body(refund))


async def refund_refused(
    session: AsyncSession, payments: Payments, instruction: PaymentsInstruction, bank_code: str | None
) -> None:
    """ACSP → RJCT; the amount can be refunded again."""
    repo = PaymentsRepository(session)
    now = utcnow()
    reason = f"은행이 입금을 거절했습니다 ({bank_code})"
    if not await repo.move_refund(instruction.reference, "ACSP", status="RJCT", reason=reason, done_at=now):
        return
    refund = await session.get(PaymentsRefund, instruction.reference, populate_existing=True)
    assert refund is not None
    await repo.give_back_refundable(refund.payment_id, refund.amount, now)
    await record(session, refund.merchant_id, "refund.failed", refund_body(refund))
