"""Tables of MyPayment (platform database).

``payments_merchant`` — a merchant of the card network onboarded for account payments: business
registration number, MCC, settlement account at a member bank (sealed), fee in basis points.
``payments_api_key`` — a merchant's API keys, kept as a prefix and a SHA-256 digest (shown once).
``payments_idempotency`` — every POST's ``x-idempotency-key`` per merchant for 24 hours: the
request's hash and, once answered, the answer (replayed as it was).
``payments_payment`` — a payment request and its ISO 20022 status (RCVD → ACTC → ACSP → ACSC; RJCT;
CANC), the payer (sealed) once approved, its fee and what was refunded.
``payments_instruction`` — every instruction to a bank, written before it is sent.
``payments_refund`` — full and partial refunds of a captured payment.
``payments_settlement`` — a merchant's daily settlement: its figures and the payout.
``payments_credential`` — the payment service's sealed credentials at the banks' transfer APIs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class PaymentsMerchant(Base):
    __tablename__ = "payments_merchant"
    id: Mapped[str] = mapped_column(String(12), primary_key=True)  # M + 7 digits
    name: Mapped[str] = mapped_column(String(100))
    business_no: Mapped[str] = mapped_column(String(10), unique=True)
    mcc: Mapped[str] = mapped_column(String(4))
    settlement_org: Mapped[str] = mapped_column(String(10))
    settlement_account_sealed: Mapped[str] = mapped_column(String(200))
    settlement_holder: Mapped[str] = mapped_column(
        String(50), server_default=""
    )  # 예금주, as the bank knows it
    fee_bps: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentsApiKey(Base):
    __tablename__ = "payments_api_key"
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("payments_merchant.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentsIdempotency(Base):
    __tablename__ = "payments_idempotency"
    __table_args__ = (UniqueConstraint("merchant_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(40))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentsPayment(Base):
    __tablename__ = "payments_payment"
    __table_args__ = (UniqueConstraint("merchant_id", "order_id"),)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("payments_merchant.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)  # won
    currency: Mapped[str] = mapped_column(String(3))
    items: Mapped[str] = mapped_column(Text)  # JSON list of {name, quantity, amount}
    status: Mapped[str] = mapped_column(String(4))  # ISO 20022 ExternalPaymentTransactionStatus1Code
    reason: Mapped[str | None] = mapped_column(String(200))
    payer_subject: Mapped[str | None] = mapped_column(String(43), index=True)
    payer_org: Mapped[str | None] = mapped_column(String(10))
    payer_masked: Mapped[str | None] = mapped_column(String(40))
    payer_sealed: Mapped[str | None] = mapped_column(Text)  # JSON {ci, name, account}
    fee: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settlement_id: Mapped[str | None] = mapped_column(String(24), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentsInstruction(Base):
    """An instruction to a bank, written before it is sent: its ``bank_tran_id`` (unique per bank
    and day) is the bank's idempotency key, so a retry after a lost answer can never debit twice."""

    __tablename__ = "payments_instruction"
    __table_args__ = (UniqueConstraint("org_code", "bank_tran_date", "bank_tran_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(24), index=True)  # the payment, refund or settlement
    org_code: Mapped[str] = mapped_column(String(10))
    bank_tran_date: Mapped[str] = mapped_column(String(8))
    bank_tran_id: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(8))  # withdraw | deposit
    amount: Mapped[int] = mapped_column(BigInteger)
    order_sealed: Mapped[str] = mapped_column(
        Text, server_default=""
    )  # the whole order, to send again as it was
    state: Mapped[str] = mapped_column(String(10), index=True)  # sent | done | refused | unknown
    bank_code: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentsWebhook(Base):
    """A merchant's webhook endpoint; its signing secret sealed (shown once)."""

    __tablename__ = "payments_webhook"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("payments_merchant.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret_sealed: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentsEvent(Base):
    """The transactional outbox: an event written in the unit of work that caused it, delivered
    to the merchant's webhooks after the commit (and readable by polling)."""

    __tablename__ = "payments_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # payment.created, payment.succeeded, …
    payload: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), index=True
    )  # None: done
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(200))


class PaymentsRefund(Base):
    """A refund of a captured payment: a deposit back to the payer's account (ACSP → ACSC or RJCT)."""

    __tablename__ = "payments_refund"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments_payment.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(12), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settlement_id: Mapped[str | None] = mapped_column(String(24), index=True)


class PaymentsSettlement(Base):
    """A merchant's settlement run of one business day (KST): the captures and refunds it claimed
    (marked with its id), captured − fees − refunds + what an earlier run carried in; paid out by
    a deposit to the settlement account."""

    __tablename__ = "payments_settlement"
    __table_args__ = (UniqueConstraint("merchant_id", "day"),)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("payments_merchant.id"), index=True)
    day: Mapped[str] = mapped_column(String(8))  # YYYYMMDD
    payments: Mapped[int] = mapped_column(Integer)
    gross: Mapped[int] = mapped_column(BigInteger)
    fees: Mapped[int] = mapped_column(BigInteger)
    refunds: Mapped[int] = mapped_column(BigInteger)
    carried_in: Mapped[int] = mapped_column(BigInteger)
    payout: Mapped[int] = mapped_column(BigInteger)
    carried_out: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))  # paying | paid | failed | nothing
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentsCredential(Base):
    """The payment service's client credentials at the banks, shared by every process (a bank
    de-duplicates instructions per client, so every process must call as the same client)."""

    __tablename__ = "payments_credential"
    service_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    secret_sealed: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
