"""이체 — the transfer API of a bank member (KFTC 오픈뱅킹 style), for payment initiation.

Mount :data:`router` on bank members only. See :mod:`.service` for the invariants and codes.
"""

from samgak.institution.transfer.endpoints import router
from samgak.institution.transfer.service import InsufficientBalance, TransferConflict

__all__ = ["InsufficientBalance", "TransferConflict", "router"]
