"""Instructions to a bank happen exactly once: written before they are sent, and when the answer
is lost the platform asks the bank instead of guessing — the customer is debited once either
way, and a refusal debits nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from samgak.kit.http import Answer, Sender, Unreachable, new_sender
from samgak.kit.timeutil import utcnow
from samgak.payments import sealer_of
from samgak.payments.bank_client import BankClient, Withdrawal
from samgak.payments.instructions import Outcome, new_order, send, write
from samgak.payments.repository import PaymentsRepository
from tests.institution.test_transfer import BANK, Bank, demand_account, service_token

PEOPLE = (47, 49)  # demand-account holders no other transfer test debits


class Losing:
    """A sender that loses the answer of the first 출금이체 (``after``: it reached the bank) or the
    request itself (``before``)."""

    def __init__(self, inner: Sender, when: str) -> None:
        self.inner, self.when, self.lost = inner, when, False

    async def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        losing = path.endswith("/transfer/withdraw") and not self.lost
        if losing and self.when == "before":
            self.lost = True
            raise Unreachable("connection reset")
        answer = await self.inner.request(method, path, **kwargs)
        if losing:
            self.lost = True
            raise Unreachable("read timeout")
        return answer

    async def aclose(self) -> None:
        await self.inner.aclose()


def bank_client(app: Any, operator: Any, when: str | None = None) -> BankClient:
    """The payment service's own client of the bank (its credentials), over a sender that may
    lose an answer."""
    sender = new_sender(f"http://localhost/inst/{BANK[0]}", transport=httpx.ASGITransport(app=app))
    platform = app.state.payments.bank(BANK[1])
    return BankClient(
        Losing(sender, when) if when else sender,
        org_code=BANK[1],
        client_id=platform.client_id,
        client_secret=platform.client_secret,
    )


async def withdraw(
    app: Any, bank: BankClient, account_num: str, client_ci: str, amount: int
) -> tuple[Outcome, str]:
    """An order written before it is sent, then sent: its outcome and ``bank_tran_id``."""
    order = new_order(
        Withdrawal,
        account_num=account_num,
        client_ci=client_ci,
        amount=amount,
        print_content="삼각페이 테스트",
        payee_name="삼각상회",
    )
    async with app.state.platform_db.unit_of_work() as session:
        instruction = await write(session, sealer_of(app.state.settings), "X-test", bank.org_code, order)
    async with app.state.platform_db.read_sessions() as session:
        stored = await session.scalar(
            text("SELECT state FROM payments_instruction WHERE bank_tran_id = :t"), {"t": order.bank_tran_id}
        )
    assert stored == "sent"  # persisted before it was sent
    outcome = await send(bank, order)
    async with app.state.platform_db.unit_of_work() as session:  # concluded, as the platform does
        await PaymentsRepository(session).settle_instruction(
            instruction.id, outcome.state, outcome.bank_code, utcnow()
        )
    return outcome, order.bank_tran_id


@pytest.mark.parametrize("when", [None, "after", "before"])
async def test_a_withdrawal_debits_once_even_when_the_answer_is_lost(
    app: Any, client: httpx.AsyncClient, operator: Any, alliance: Any, when: str | None
) -> None:
    person, account = demand_account(alliance, PEOPLE[0])
    teller = Bank(client, await service_token(client, operator))
    before = await teller.balance(person, account.asset_key)
    done, _ = await withdraw(app, bank_client(app, operator, when), account.asset_key, person.ci, 1_234)
    assert done.state == "done", done
    assert await teller.balance(person, account.asset_key) == before - 1_234  # once, not twice


async def test_a_refused_withdrawal_debits_nothing_and_says_why(
    app: Any, client: httpx.AsyncClient, operator: Any, alliance: Any
) -> None:
    person, account = demand_account(alliance, PEOPLE[1])
    teller = Bank(client, await service_token(client, operator))
    before = await teller.balance(person, account.asset_key)
    refused, _ = await withdraw(app, bank_client(app, operator), account.asset_key, person.ci, before + 1)
    assert refused == Outcome("refused", "A0003")
    assert await teller.balance(person, account.asset_key) == before
