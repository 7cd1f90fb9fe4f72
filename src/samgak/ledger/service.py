"""The double-entry ledger: integer won, immutable transfers, balances you can trust.

A :class:`Transfer` is checked when it is made (legs in integer amounts, none zero, at least two,
summing to zero per currency, no account twice); :func:`post` writes it once per idempotency key
(a retry with the same legs returns the first posting, other legs under that key are refused),
updates the balance rows of the accounts that keep one — each update must touch exactly one row —
and leaves *recording* accounts (a merchant's payable) as their entries alone, so no payment
waits on a popular merchant's row. Corrections are reversals (:func:`reverse`), never edits: the
journal refuses UPDATE and DELETE. :func:`reconcile` checks what is stored: every transfer sums to
zero, every kept balance equals the sum of its entries and its version their count. On
PostgreSQL a deferred constraint trigger checks each transfer's sum again at commit.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.timeutil import utcnow
from samgak.ledger.errors import AlreadyReversed, Corrupted, KeyReused, Unbalanced, UnknownAccount
from samgak.ledger.repository import LedgerRepository

KINDS = ("asset", "liability", "revenue", "expense", "equity")


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a transfer: ``amount`` won on ``account`` (debit > 0, credit < 0)."""

    account: str
    amount: int
    currency: str = "KRW"


@dataclass(frozen=True, slots=True)
class Transfer:
    """A balanced posting under an idempotency ``key`` (checked here, before anything is written)."""

    key: str
    kind: str
    legs: tuple[Leg, ...]
    memo: str | None = None
    reverses: int | None = None

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > 120:
            raise Unbalanced("a transfer needs a key of 1 to 120 characters")
        if len(self.legs) < 2:
            raise Unbalanced("a transfer has at least two legs")
        sums: dict[str, int] = defaultdict(int)
        for leg in self.legs:
            if type(leg.amount) is not int or leg.amount == 0:
                raise Unbalanced(
                    f"leg on {leg.account}: amounts are non-zero integer won, not {leg.amount!r}"
                )
            sums[leg.currency] += leg.amount
        if any(sums.values()):
            raise Unbalanced(f"legs do not balance: {dict(sums)}")
        if len({leg.account for leg in self.legs}) != len(self.legs):
            raise Unbalanced("an account appears twice in one transfer")

    @property
    def digest(self) -> str:
        """What the posting is, as a hash: the same key with another digest is another posting."""
        text = "|".join(
            [
                self.kind,
                str(self.reverses),
                *(f"{leg.account}:{leg.amount}:{leg.currency}" for leg in self.legs),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Posted:
    transfer_id: int
    replayed: bool  # True: the key was posted before with these legs; nothing new was written


async def open_account(
    session: AsyncSession, code: str, kind: str, *, recording: bool = False, currency: str = "KRW"
) -> int:
    """The account ``code`` (opened now if it was not); its id."""
    if kind not in KINDS:
        raise UnknownAccount(f"an account kind is one of {KINDS}")
    return await LedgerRepository(session).open_account(code, kind, recording, currency, utcnow())


async def post(session: AsyncSession, transfer: Transfer) -> Posted:
    """Write ``transfer`` in the caller's unit of work (see the module docstring). On PostgreSQL
    in one call of the server's ``ledger_post``, elsewhere statement by statement; the same rules."""
    repo = LedgerRepository(session)
    if repo.posts_in_one_call:
        return await _post_in_one_call(repo, transfer)
    accounts = await repo.accounts([leg.account for leg in transfer.legs])
    for leg in transfer.legs:
        found = accounts.get(leg.account)
        if found is None or found.currency != leg.currency:
            raise UnknownAccount(f"no {leg.currency} account {leg.account!r}: open it first")
    transfer_id = await repo.insert_transfer(
        key=transfer.key,
        digest=transfer.digest,
        kind=transfer.kind,
        reverses=transfer.reverses,
        memo=transfer.memo,
        at=utcnow(),
    )
    if transfer_id is None:  # the key was posted before
        stored = await repo.transfer_by_key(transfer.key)
        if stored is not None and stored.digest == transfer.digest:
            return Posted(stored.id, replayed=True)
        raise KeyReused(f"key {transfer.key!r} was used for another posting")
    await repo.add_entries(
        [
            {
                "transfer_id": transfer_id,
                "account_id": accounts[leg.account].id,
                "amount": leg.amount,
                "currency": leg.currency,
            }
            for leg in transfer.legs
        ]
    )
    kept = sorted(
        (accounts[leg.account].id, leg.amount) for leg in transfer.legs if not accounts[leg.account].recording
    )
    for account_id, amount in kept:  # in id order: two postings never wait on each other in a circle
        if await repo.apply(account_id, amount) != 1:
            raise Corrupted(f"the balance of account {account_id} did not take its update")
    return Posted(transfer_id, replayed=False)


async def _post_in_one_call(repo: LedgerRepository, transfer: Transfer) -> Posted:
    try:
        transfer_id, outcome = await repo.post_in_one_call(
            key=transfer.key,
            digest=transfer.digest,
            kind=transfer.kind,
            reverses=transfer.reverses,
            memo=transfer.memo,
            legs=[(leg.account, leg.amount, leg.currency) for leg in transfer.legs],
            at=utcnow(),
        )
    except Exception as refused:
        state = getattr(refused, "sqlstate", None)
        if state == "P0002":
            raise UnknownAccount(
                f"a leg of {transfer.key!r} names an account never opened: open it first"
            ) from refused
        if state == "P0003":
            raise Corrupted(f"a balance row did not take its update in {transfer.key!r}") from refused
        raise
    if outcome == "key_reused":
        raise KeyReused(f"key {transfer.key!r} was used for another posting")
    return Posted(transfer_id, replayed=outcome == "replayed")


async def reverse(session: AsyncSession, key: str, original_key: str, *, memo: str | None = None) -> Posted:
    """A correction: the transfer ``original_key`` with every leg negated, linked to it (once)."""
    repo = LedgerRepository(session)
    original = await repo.transfer_by_key(original_key)
    if original is None:
        raise UnknownAccount(f"no transfer {original_key!r} to reverse")
    legs = await repo.legs_of(original.id)
    done = await repo.reversal_of(original.id)
    if done is not None and done.key != key:
        raise AlreadyReversed(f"transfer {original_key!r} was reversed before, by {done.key!r}")
    return await post(
        session,
        Transfer(
            key,
            "reversal",
            tuple(Leg(code, -amount, currency) for code, amount, currency in legs),
            memo,
            original.id,
        ),
    )


async def posted(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these transfer keys the journal holds."""
    return await LedgerRepository(session).keys_posted(keys)


async def balance(session: AsyncSession, code: str) -> int:
    """The account's balance (debit-positive): its row, or the sum of its entries if it only records."""
    return await LedgerRepository(session).balance(code)


@dataclass
class Reconciliation:
    """What :func:`reconcile` found; ``ok`` when nothing."""

    unbalanced_transfers: list[int] = field(default_factory=list)
    mismatched_accounts: list[tuple[str, int, int, int, int]] = field(
        default_factory=list
    )  # code, balance, sum, version, count
    checked_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.unbalanced_transfers and not self.mismatched_accounts


async def reconcile(session: AsyncSession) -> Reconciliation:
    """Check the stored journal against its invariants (see the module docstring)."""
    repo = LedgerRepository(session)
    return Reconciliation(await repo.unbalanced_transfers(), await repo.mismatched_accounts(), utcnow())
