"""Instructions to banks, exactly once.

An instruction is written — with the ``bank_tran_id`` that the bank de-duplicates on for the
day — *before* it is sent. An answer settles it (``done`` or ``refused`` with the bank's code).
No answer is never read as success or failure: the platform asks the bank (이체결과조회); a
withdrawal the bank never executed is sent again under the same id, which the bank cannot run
twice; if the bank cannot be asked either, the instruction stays ``unknown`` for a later ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from samgak.kit.db import Database
from samgak.kit.timeutil import today_kst, utcnow
from samgak.payments.bank_client import BankClient, BankRefused, BankUnknown, Withdrawal, new_bank_tran_id
from samgak.payments.models import PaymentsInstruction
from samgak.payments.repository import PaymentsRepository


@dataclass(frozen=True, slots=True)
class Instructed:
    state: str  # done | refused | unknown
    bank_tran_id: str
    bank_code: str | None = None


async def withdraw(
    database: Database,
    bank: BankClient,
    *,
    payment_id: str,
    account_num: str,
    client_ci: str,
    amount: int,
    payee_name: str,
) -> Instructed:
    """출금이체 from the customer's account for ``payment_id`` (see the module docstring)."""
    now = utcnow()
    order = Withdrawal(new_bank_tran_id(), account_num, client_ci, amount, "삼각페이", payee_name[:30])
    day = f"{today_kst():%Y%m%d}"
    async with database.unit_of_work() as session:
        instruction = PaymentsInstruction(
            payment_id=payment_id,
            org_code=bank.org_code,
            bank_tran_date=day,
            bank_tran_id=order.bank_tran_id,
            direction="withdraw",
            amount=amount,
            state="sent",
            bank_code=None,
            created_at=now,
            updated_at=now,
        )
        await PaymentsRepository(session).add(instruction)
    try:
        await bank.withdraw(order)
        outcome = Instructed("done", order.bank_tran_id)
    except BankRefused as refused:
        outcome = Instructed("refused", order.bank_tran_id, refused.code)
    except BankUnknown:
        outcome = await _ask(bank, order, day)
    async with database.unit_of_work() as session:
        await PaymentsRepository(session).settle_instruction(
            instruction.id, outcome.state, outcome.bank_code, utcnow()
        )
    return outcome


async def _ask(bank: BankClient, order: Withdrawal, day: str) -> Instructed:
    """The answer was lost: did the bank execute it? If not, the same order again (same id)."""
    try:
        if not await bank.executed(order.bank_tran_id, day):
            await bank.withdraw(order)
        return Instructed("done", order.bank_tran_id)
    except BankRefused as refused:
        return Instructed("refused", order.bank_tran_id, refused.code)
    except BankUnknown:
        return Instructed("unknown", order.bank_tran_id)
