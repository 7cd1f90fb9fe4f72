"""The ledger: double-entry, immutable, in integer won (see ``service``).

Its public face: open accounts, post balanced transfers under idempotency keys, reverse them,
read balances and reconcile the stored journal. It stands on ``kit`` alone; ``payments`` and
``offers`` post through it.
"""

from samgak.ledger.errors import (
    AlreadyReversed,
    Corrupted,
    KeyReused,
    LedgerError,
    Unbalanced,
    UnknownAccount,
)
from samgak.ledger.service import (
    Leg,
    Posted,
    Reconciliation,
    Transfer,
    balance,
    open_account,
    post,
    posted,
    reconcile,
    reverse,
)

__all__ = [
    "AlreadyReversed",
    "Corrupted",
    "KeyReused",
    "LedgerError",
    "Leg",
    "Posted",
    "Reconciliation",
    "Transfer",
    "Unbalanced",
    "UnknownAccount",
    "balance",
    "open_account",
    "post",
    "posted",
    "reconcile",
    "reverse",
]
