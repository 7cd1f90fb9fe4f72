"""The ledger as a Hypothesis state machine against a model: whatever sequence of postings,
retries, refused postings and reversals, money is conserved, every balance equals the sum of its
entries (the model's and the stored), a reversal cancels its original, and reconcile finds
nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings as given_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from samgak import ledger
from samgak.kit.db import Database
from samgak.ledger import Leg, Transfer

NAMES = ("clearing:woori", "clearing:kbank", "payable:shop", "payable:cafe", "fees")
RECORDING = {"payable:shop", "payable:cafe"}


def ledger_machine(database_url: str) -> type[RuleBasedStateMachine]:
    class Ledger(RuleBasedStateMachine):
        posted = Bundle("posted")

        def __init__(self) -> None:
            super().__init__()
            self.loop = asyncio.new_event_loop()
            self.database = Database(database_url)
            self.run = uuid.uuid4().hex[:8]
            self.model = dict.fromkeys(NAMES, 0)
            self.legs: dict[str, tuple[Leg, ...]] = {}
            self.reversed: set[str] = set()

        def code(self, name: str) -> str:
            return f"{name}:{self.run}"

        def do(self, work: Any) -> Any:
            return self.loop.run_until_complete(work)

        async def _in_unit(self, action: Any) -> Any:
            async with self.database.unit_of_work() as session:
                return await action(session)

        @initialize()
        def open_accounts(self) -> None:
            async def open_all(session: Any) -> None:
                for name in NAMES:
                    kind = "liability" if name in RECORDING else "asset"
                    await ledger.open_account(session, self.code(name), kind, recording=name in RECORDING)

            self.do(self._in_unit(open_all))

        @rule(
            target=posted,
            legs=st.lists(
                st.tuples(st.sampled_from(NAMES), st.integers(1, 10**9)),
                min_size=1,
                max_size=3,
                unique_by=lambda leg: leg[0],
            ),
            to=st.sampled_from(NAMES),
        )
        def post(self, legs: list[tuple[str, int]], to: str) -> str:
            if to in {name for name, _ in legs}:
                to = next(n for n in NAMES if n not in {name for name, _ in legs})
            total = sum(amount for _, amount in legs)
            key = f"{self.run}-{len(self.legs)}"
            transfer = Transfer(
                key, "payment", (*(Leg(self.code(n), a) for n, a in legs), Leg(self.code(to), -total))
            )
            posted = self.do(self._in_unit(lambda s: ledger.post(s, transfer)))
            assert not posted.replayed
            self.legs[key] = transfer.legs
            for name, amount in legs:
                self.model[name] += amount
            self.model[to] -= total
            return key

        @rule(key=posted)
        def retry(self, key: str) -> None:
            transfer = Transfer(key, "payment", self.legs[key])
            assert self.do(self._in_unit(lambda s: ledger.post(s, transfer))).replayed

        @rule(key=posted, extra=st.integers(1, 1000))
        def reuse_the_key_for_other_legs(self, key: str, extra: int) -> None:
            first, second, *rest = self.legs[key]
            try:
                other = Transfer(
                    key,
                    "payment",
                    (
                        Leg(first.account, first.amount + extra),
                        Leg(second.account, second.amount - extra),
                        *rest,
                    ),
                )
                self.do(self._in_unit(lambda s: ledger.post(s, other)))
            except (ledger.KeyReused, ledger.Unbalanced):
                return
            raise AssertionError("a key was posted twice with different legs")

        @rule(key=posted)
        def reverse(self, key: str) -> None:
            try:
                self.do(self._in_unit(lambda s: ledger.reverse(s, f"undo-{key}", key)))
            except ledger.AlreadyReversed:
                assert key in self.reversed
                return
            if key in self.reversed:
                return  # the same correction again: a replay
            self.reversed.add(key)
            for leg in self.legs[key]:
                self.model[leg.account.rsplit(":", 1)[0]] -= leg.amount

        @invariant()
        def balances_equal_the_model_and_money_is_conserved(self) -> None:
            async def read(session: Any) -> dict[str, int]:
                return {name: await ledger.balance(session, self.code(name)) for name in NAMES}

            found = self.do(self._in_unit(read))
            assert found == self.model
            assert sum(found.values()) == 0

        def teardown(self) -> None:
            async def check(session: Any) -> Any:
                return await ledger.reconcile(session)

            assert self.do(self._in_unit(check)).ok
            self.do(self.database.dispose())
            self.loop.close()

    return Ledger


def test_the_ledger_keeps_its_invariants_under_any_sequence(settings: Any) -> None:
    machine = ledger_machine(settings.database_url)
    machine.TestCase.settings = given_settings(
        max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    machine.TestCase().runTest()
