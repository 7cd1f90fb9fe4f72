"""Carrying instructions out, and finishing what a crash interrupted.

:func:`carry_out` sends a written instruction and concludes it: the instruction is settled and
its consequence applied — a capture or a rejection (payments), a refund done or refused, a payout
made or failed (settlements) — in one unit of work, once (the settle is conditional). An
instruction whose answer stays unknown is left pending.

:func:`resume` is the completer: every ``settings.payments.resume_seconds`` it takes the
approved payments whose withdrawal was never written and the pending instructions nobody has
touched for ``settings.payments.quiet_seconds``, and carries them out again — the same order
under the same ``bank_tran_id``, so the bank executes it at most once. Every process may run it;
taking an instruction touches it, so two completers rarely send the same one (and if they do,
the bank answers both alike). It also cancels (CANC) payment requests nobody approved in time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow
from samgak.payments import checkout, refunds, settlement
from samgak.payments.instructions import Outcome, order_of, send
from samgak.payments.models import PaymentsInstruction
from samgak.payments.repository import PaymentsRepository
from samgak.payments.runtime import Payments

log = logging.getLogger(__name__)
Done = Callable[[AsyncSession, Payments, PaymentsInstruction], Awaitable[None]]
Refused = Callable[[AsyncSession, Payments, PaymentsInstruction, str | None], Awaitable[None]]
CONSEQUENCES: dict[str, tuple[Done, Refused]] = {  # by the reference's first letter
    "P": (checkout.captured, checkout.rejected),
    "R": (refunds.refunded, refunds.refund_refused),
    "S": (settlement.paid_out, settlement.payout_refused),
}


async def carry_out(database: Database, payments: Payments, instruction: PaymentsInstruction) -> Outcome:
    """Send ``instruction`` and conclude it (see the module docstring)."""
    outcome = await send(payments.bank(instruction.org_code), order_of(payments.sealer, instruction))
    async with database.unit_of_work() as session:
        repo = PaymentsRepository(session)
        if not await repo.settle_instruction(instruction.id, outcome.state, outcome.bank_code, utcnow()):
            return outcome  # another process concluded it
        if outcome.state != "unknown":
            done, refused = CONSEQUENCES[instruction.reference[0]]
            if outcome.state == "done":
                await done(session, payments, instruction)
            else:
                await refused(session, payments, instruction, outcome.bank_code)
    return outcome


async def resume(database: Database, payments: Payments, quiet: timedelta, *, limit: int = 200) -> int:
    """One round of the completer; how many payments or instructions it carried on (requests
    nobody approved within ``settings.payments.request_minutes`` are cancelled too)."""
    quiet_since = utcnow() - quiet
    await checkout.expire(database, payments)
    async with database.read_sessions() as session:
        accepted = await PaymentsRepository(session).stale_accepted(quiet_since, limit)
    for payment_id in accepted:
        instruction = await checkout.instruct(database, payments, payment_id)
        if instruction is not None:
            await carry_out(database, payments, instruction)
    async with database.unit_of_work() as session:
        pending = await PaymentsRepository(session).take_pending_instructions(quiet_since, utcnow(), limit)
    await asyncio.gather(*(carry_out(database, payments, i) for i in pending))
    return len(accepted) + len(pending)


async def run_completion(database: Database, payments: Payments, seconds: float, quiet: float) -> None:
    """The completer loop (in the server's lifespan; ``samgak payments complete`` runs one round)."""
    while True:
        try:
            await resume(database, payments, timedelta(seconds=quiet))
        except Exception:  # a bad round must not stop the loop; the next one tries again
            log.exception("payments completion round failed")
        await asyncio.sleep(seconds)
