"""What the merchant API and the pages do: a service's unit of work, then the bank, then the
conclusion (``completion``) — one way for each, shared by both faces."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak import identity
from samgak.kit.db import Database
from samgak.payments import checkout, settlement
from samgak.payments.completion import carry_out
from samgak.payments.models import PaymentsInstruction
from samgak.payments.refunds import create_refund, refund_of
from samgak.payments.runtime import Payments
from samgak.payments.service import Answer, idempotent


async def pay(
    database: Database,
    payments: Payments,
    provider: identity.Provider,
    payer: checkout.Payer,
    payment_id: str,
    **choice: Any,
) -> str:
    """Approve, withdraw, conclude; the payment's status after the bank's answer."""
    instruction = await checkout.approve(database, payments, provider, payer, payment_id, **choice)
    outcome = await carry_out(database, payments, instruction)
    return {"done": "ACSC", "refused": "RJCT"}.get(outcome.state, "ACSP")


async def refund(
    database: Database, payments: Payments, merchant_id: str, payment_id: str, key: str, raw: bytes, body: Any
) -> Answer:
    """A refund under the idempotency key; a first request also sends the deposit and answers
    the refund as the bank left it (a replay answers what the first request answered)."""
    written: list[PaymentsInstruction] = []

    async def work(session: AsyncSession) -> Answer:
        answer, instruction = await create_refund(session, payments, merchant_id, payment_id, body)
        written.append(instruction)
        return answer

    answer = await idempotent(database, merchant_id, key, raw, work)
    if not written:
        return answer
    await carry_out(database, payments, written[0])
    return Answer(answer.status_code, await refund_of(database, merchant_id, answer.body["refund_id"]))


async def settle(database: Database, payments: Payments, day: date, merchant_id: str | None = None) -> int:
    """The day's settlement (every merchant, or one) with its payouts sent; how many were paid."""
    if merchant_id is None:
        payouts = await settlement.settle(database, payments, day)
    else:
        one = await settlement.settle_merchant(database, payments, merchant_id, day)
        payouts = [one] if one is not None else []
    outcomes = [await carry_out(database, payments, payout) for payout in payouts]
    return sum(1 for outcome in outcomes if outcome.state == "done")
