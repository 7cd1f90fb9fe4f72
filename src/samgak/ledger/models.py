"""Tables of the ledger (platform database): accounts, transfers and their entries.

``ledger_account`` — one account per code (``clearing:WRBK000020``, ``payable:M000123``, ``fees``);
an account either keeps its balance on its row (``balance``, ``version``: updated with every
entry, checked to touch exactly one row) or only *records* (``recording``: the balance is the sum
of its entries, so a popular merchant's account is never a row every payment must lock).
``ledger_transfer`` — one immutable posting; its ``key`` is the caller's idempotency key (unique
forever) and ``digest`` a hash of its legs, so a retry is recognised and a different posting
under the same key refused. A correction is a new transfer that ``reverses`` another (once).
``ledger_entry`` — the legs: signed integer amounts (debit > 0, credit < 0) that sum to zero per
transfer and currency.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class LedgerAccount(Base):
    __tablename__ = "ledger_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # asset | liability | revenue | expense
    currency: Mapped[str] = mapped_column(String(3), default="KRW")
    recording: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)  # debit-positive; 0 on recording accounts
    version: Mapped[int] = mapped_column(Integer, default=0)  # entries applied to ``balance``
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerTransfer(Base):
    __tablename__ = "ledger_transfer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))  # payment | refund | fee | settlement | reversal …
    reverses: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfer.id"), unique=True)
    memo: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_ledger_entry_account", "account_id", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfer.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
