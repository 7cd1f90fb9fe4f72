"""What the ledger refuses (each message says what is wrong)."""

from __future__ import annotations


class LedgerError(Exception):
    """A posting the ledger does not accept; nothing was written."""


class Unbalanced(LedgerError):
    """The legs do not sum to zero in some currency (or a leg is zero, or there is one leg)."""


class UnknownAccount(LedgerError):
    """A leg names an account that was never opened, or in another currency."""


class KeyReused(LedgerError):
    """The idempotency key was used before for a different posting."""


class AlreadyReversed(LedgerError):
    """The transfer was reversed before (a correction is made once)."""


class Corrupted(LedgerError):
    """A balance row did not take its update (checked on every posting; the unit of work rolls back)."""
