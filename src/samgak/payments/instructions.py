"""Instructions to banks, exactly once.

An instruction is written — with the ``bank_tran_id`` that the bank de-duplicates on for the
day, and the whole order sealed — in the unit of work that decides it, *before* it is sent. An
answer settles it (``done``, or ``refused`` with the bank's code), once: settling is a
conditional update, so of two processes that both hear an answer only one acts on it. No answer
is never read as success or failure: the platform asks the bank (이체결과조회); an order the bank
never executed is sent again under the same id, which the bank cannot run twice; if the bank
cannot be asked either, the instruction stays ``unknown`` and is sent again later (see
``completion``) until the bank answers. Orders carry the time they were written
(``tran_dtime``), so a retry after midnight still names the same business day.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.crypto import Sealer
from samgak.kit.timeutil import KST, utcnow
from samgak.payments.bank_client import (
    BankClient,
    BankRefused,
    BankUnknown,
    Deposit,
    Withdrawal,
    new_bank_tran_id,
)
from samgak.payments.models import PaymentsInstruction
from samgak.payments.repository import PaymentsRepository

Order = Withdrawal | Deposit


POSTINGS = {"P": "pay", "R": "refund", "S": "payout"}  # by the reference's first letter


def posting_key(reference: str) -> str:
    """The key of the ledger posting an executed instruction for ``reference`` makes (a payment's
    capture, a refund, a settlement's payout) — what reconciliation looks for."""
    return f"{POSTINGS.get(reference[0], 'unknown')}:{reference}"


@dataclass(frozen=True, slots=True)
class Outcome:
    state: str  # done | refused | unknown
    bank_code: str | None = None


def new_order(kind: type[Order], **fields: Any) -> Order:
    """An order with a fresh ``bank_tran_id`` and the time it is written (KST)."""
    return kind(
        bank_tran_id=new_bank_tran_id(), tran_dtime=f"{utcnow().astimezone(KST):%Y%m%d%H%M%S}", **fields
    )


async def write(
    session: AsyncSession, sealer: Sealer, reference: str, org_code: str, order: Order
) -> PaymentsInstruction:
    """Persist ``order`` to the bank ``org_code`` for ``reference`` in the caller's unit of work."""
    now = utcnow()
    instruction = PaymentsInstruction(
        reference=reference,
        org_code=org_code,
        bank_tran_date=order.tran_dtime[:8],
        bank_tran_id=order.bank_tran_id,
        direction="withdraw" if isinstance(order, Withdrawal) else "deposit",
        amount=order.amount,
        order_sealed=sealer.seal(json.dumps(asdict(order), ensure_ascii=False)),
        state="sent",
        bank_code=None,
        created_at=now,
        updated_at=now,
    )
    await PaymentsRepository(session).add(instruction)
    return instruction


def order_of(sealer: Sealer, instruction: PaymentsInstruction) -> Order:
    fields = json.loads(sealer.open(instruction.order_sealed))
    return Withdrawal(**fields) if instruction.direction == "withdraw" else Deposit(**fields)


async def send(bank: BankClient, order: Order) -> Outcome:
    """Send ``order``; when the answer is lost, ask the bank (see the module docstring)."""
    try:
        await _execute(bank, order)
        return Outcome("done")
    except BankRefused as refused:
        return Outcome("refused", refused.code)
    except BankUnknown:
        pass
    try:
        if not await bank.executed(order.bank_tran_id, order.tran_dtime[:8]):
            await _execute(bank, order)
        return Outcome("done")
    except BankRefused as refused:
        return Outcome("refused", refused.code)
    except BankUnknown:
        return Outcome("unknown")


async def _execute(bank: BankClient, order: Order) -> None:
    if isinstance(order, Withdrawal):
        await bank.withdraw(order)
    else:
        await bank.deposit(order)
