"""The ledger's promises: balanced or refused, once per key, immutable, reversals that cancel,
balances equal to their entries — checked by the constructor, by ``reconcile`` over what is
stored and, on PostgreSQL, by a deferred constraint trigger at commit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from samgak import ledger
from samgak.kit.db import Database
from samgak.ledger import Leg, Transfer


@pytest.fixture
async def database(settings: Any) -> AsyncIterator[Database]:
    db = Database(settings.database_url)
    yield db
    await db.dispose()


async def chart(database: Database) -> dict[str, str]:
    """Fresh accounts for one test: a bank clearing account, a customer funding account, a
    merchant payable that only records, and fee revenue."""
    run = uuid.uuid4().hex[:8]
    codes = {
        "clearing": (f"clearing:{run}", "asset", False),
        "merchant": (f"payable:{run}", "liability", True),
        "fees": (f"fees:{run}", "revenue", False),
    }
    async with database.unit_of_work() as session:
        for code, kind, recording in codes.values():
            await ledger.open_account(session, code, kind, recording=recording)
    return {name: code for name, (code, _, _) in codes.items()}


def payment(key: str, accounts: dict[str, str], amount: int, fee: int) -> Transfer:
    return Transfer(
        key,
        "payment",
        (
            Leg(accounts["clearing"], amount),
            Leg(accounts["merchant"], -(amount - fee)),
            Leg(accounts["fees"], -fee),
        ),
    )


@pytest.mark.parametrize(
    "legs, why",
    [
        (((("a", 100)), ("b", -99)), "do not balance"),
        ((("a", 0), ("b", 0)), "non-zero integer"),
        ((("a", 1.5), ("b", -1.5)), "non-zero integer"),
        ((("a", 100),), "at least two legs"),
        ((("a", 100), ("a", -100)), "appears twice"),
    ],
)
def test_the_constructor_refuses_what_cannot_be_posted(legs: Any, why: str) -> None:
    with pytest.raises(ledger.Unbalanced, match=why):
        Transfer("k", "payment", tuple(Leg(code, amount) for code, amount in legs))


def test_every_currency_balances_on_its_own() -> None:
    with pytest.raises(ledger.Unbalanced):
        Transfer("k", "fx", (Leg("a", 100, "KRW"), Leg("b", -100, "USD")))
    Transfer(
        "k", "fx", (Leg("a", 100, "KRW"), Leg("b", -100, "KRW"), Leg("c", 7, "USD"), Leg("d", -7, "USD"))
    )


async def test_a_key_posts_once_and_a_retry_returns_the_first_posting(database: Database) -> None:
    accounts = await chart(database)
    async with database.unit_of_work() as session:
        first = await ledger.post(session, payment("pay-1", accounts, 10_000, 250))
    async with database.unit_of_work() as session:
        again = await ledger.post(session, payment("pay-1", accounts, 10_000, 250))
    assert not first.replayed and again.replayed and again.transfer_id == first.transfer_id
    async with database.read_sessions() as session:
        assert await ledger.balance(session, accounts["clearing"]) == 10_000
        assert await ledger.balance(session, accounts["merchant"]) == -9_750  # recorded, summed
        assert await ledger.balance(session, accounts["fees"]) == -250
    with pytest.raises(ledger.KeyReused):
        async with database.unit_of_work() as session:
            await ledger.post(session, payment("pay-1", accounts, 10_001, 250))
    async with database.read_sessions() as session:
        assert await ledger.balance(session, accounts["clearing"]) == 10_000  # nothing changed


async def test_an_unknown_account_is_refused_and_nothing_is_written(database: Database) -> None:
    accounts = await chart(database)
    with pytest.raises(ledger.UnknownAccount, match="open it first"):
        async with database.unit_of_work() as session:
            await ledger.post(
                session, Transfer("t-x", "payment", (Leg(accounts["clearing"], 5), Leg("nobody", -5)))
            )
    async with database.read_sessions() as session:
        assert await ledger.balance(session, accounts["clearing"]) == 0


async def test_a_reversal_cancels_its_original_once(database: Database) -> None:
    accounts = await chart(database)
    async with database.unit_of_work() as session:
        await ledger.post(session, payment("pay-r", accounts, 50_000, 1_000))
        await ledger.reverse(session, "refund-r", "pay-r")
    async with database.read_sessions() as session:
        for code in accounts.values():
            assert await ledger.balance(session, code) == 0
    async with database.unit_of_work() as session:  # the same correction again: a replay
        assert (await ledger.reverse(session, "refund-r", "pay-r")).replayed
    with pytest.raises(ledger.AlreadyReversed):
        async with database.unit_of_work() as session:
            await ledger.reverse(session, "refund-r2", "pay-r")


async def test_the_journal_is_immutable(database: Database) -> None:
    accounts = await chart(database)
    async with database.unit_of_work() as session:
        posted = await ledger.post(session, payment("pay-i", accounts, 1_000, 10))
    for statement in (
        "UPDATE ledger_entry SET amount = amount + 1 WHERE transfer_id = :t",
        "DELETE FROM ledger_entry WHERE transfer_id = :t",
        "UPDATE ledger_transfer SET kind = 'x' WHERE id = :t",
    ):
        with pytest.raises(DBAPIError, match="immutable"):
            async with database.unit_of_work() as session:
                await session.execute(text(statement), {"t": posted.transfer_id})


async def test_reconcile_finds_a_balance_that_does_not_match_its_entries(database: Database) -> None:
    accounts = await chart(database)
    async with database.unit_of_work() as session:
        await ledger.post(session, payment("pay-c", accounts, 3_000, 30))
    async with database.read_sessions() as session:
        assert (await ledger.reconcile(session)).ok
    async with database.unit_of_work() as session:  # a balance row tampered with behind the ledger
        await session.execute(
            text("UPDATE ledger_account SET balance = balance + 1 WHERE code = :c"),
            {"c": accounts["clearing"]},
        )
    async with database.read_sessions() as session:
        found = await ledger.reconcile(session)
    assert not found.ok and [m[0] for m in found.mismatched_accounts] == [accounts["clearing"]]
    async with database.unit_of_work() as session:  # put it back for the other tests
        await session.execute(
            text("UPDATE ledger_account SET balance = balance - 1 WHERE code = :c"),
            {"c": accounts["clearing"]},
        )


async def test_postgres_refuses_an_unbalanced_transfer_at_commit(database: Database, settings: Any) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("the deferred constraint trigger is PostgreSQL's (SQLite: the constructor and reconcile)")
    accounts = await chart(database)
    with pytest.raises(IntegrityError, match="does not balance"):
        async with database.unit_of_work() as session:  # written around the constructor
            tid = (
                await session.execute(
                    text(
                        "INSERT INTO ledger_transfer (key, digest, kind, created_at) "
                        "VALUES ('raw-1', '-', 'payment', now()) RETURNING id"
                    )
                )
            ).scalar_one()
            account = (
                await session.execute(
                    text("SELECT id FROM ledger_account WHERE code = :c"), {"c": accounts["clearing"]}
                )
            ).scalar_one()
            await session.execute(
                text(
                    "INSERT INTO ledger_entry (transfer_id, account_id, amount, currency) VALUES (:t, :a, 5, 'KRW')"
                ),
                {"t": tid, "a": account},
            )


async def test_concurrent_postings_to_one_kept_account_lose_no_update(database: Database) -> None:
    """Many units of work at once on the same balance row (and the same recording payable): every
    posting lands, the balance equals its entries, the journal reconciles."""
    import asyncio

    accounts = await chart(database)

    async def pay(n: int) -> None:
        async with database.unit_of_work() as session:
            await ledger.post(session, payment(f"storm-{accounts['clearing']}-{n}", accounts, 1_000 + n, 10))

    await asyncio.gather(*(pay(n) for n in range(200)))
    async with database.read_sessions() as session:
        assert await ledger.balance(session, accounts["clearing"]) == sum(1_000 + n for n in range(200))
        assert await ledger.balance(session, accounts["fees"]) == -10 * 200
        assert (await ledger.reconcile(session)).ok
