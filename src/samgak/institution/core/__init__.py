"""The member's core systems, as the MyData gateway sees them.

A data holder does not serve MyData from its ledger: it serves it from a read model kept
beside the gateway (the ``core_*`` tables of :mod:`samgak.institution.models`), fed from the
core. :class:`Core` is what the gateway needs from the live core besides that read model:
authenticate a customer, identify a person for the carrier check, fill a customer's read model
on demand, and post a transfer to an account. :class:`~samgak.institution.core.synthetic.SyntheticCore`
is the default implementation; a member plugs its own systems in by implementing this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Identity:
    customer_id: int
    ci: str
    name: str


class InsufficientFunds(Exception):
    """The account's balance does not cover the withdrawal; nothing was posted."""


class Core(Protocol):
    async def authenticate(
        self, session: AsyncSession, *, phone: str, birth_date: str, pin: str
    ) -> int | None:
        """The customer id for the holder's own sign-in (phone, birth date, PIN), or None."""
        ...

    async def customer_by_ci(self, session: AsyncSession, ci: str) -> int | None: ...

    async def customer_ci(self, session: AsyncSession, customer_id: int) -> str: ...

    async def identify(
        self, session: AsyncSession, *, name: str, birth_date: str, phone: str
    ) -> Identity | None:
        """The person with exactly this name, birth date and phone number (carrier check)."""
        ...

    async def demographics(
        self, session: AsyncSession, customer_ids: list[int]
    ) -> dict[int, tuple[str, str]]:
        """``(sex M/F, 시도 of the billing address)`` per customer (what a pseudonymized export's
        quasi-identifiers start from)."""
        ...

    async def ensure_history(self, session: AsyncSession, customer_id: int) -> None:
        """Make the customer's read model complete (idempotent, safe under concurrency)."""
        ...

    async def post_transfer(
        self, session: AsyncSession, *, asset_id: int, amount: int, trans_class: str, memo: str, dtime: str
    ) -> int:
        """Post ``amount`` (negative = withdrawal) to a deposit account; the new balance.

        Raises :class:`InsufficientFunds` and posts nothing when a withdrawal exceeds the balance.
        """
        ...
