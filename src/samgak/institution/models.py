"""Tables of one institution's database.

Two families share the database of a member deployable:

* ``core_*`` — the member's core systems as the synthetic core keeps them (customers, deposit
  and loan accounts, cards, telecom contracts and their history). A real member reads its own
  systems instead, behind :class:`samgak.institution.core.Core`.
* ``gw_*`` — the MyData gateway the member runs in front of its core: authorization requests
  and codes, transmission requests (전송요구) with their assets, token grants, integrated-auth
  transactions, scheduled-call counters, transfers and carrier verifications.

Amounts are integer won (``BigInteger``); standard codes are stored as the standard's strings;
dates and times in the standard's own formats (``YYYYMMDD``, ``YYYYMMDDhhmmss`` in KST) so that
a page is served without conversion, and aware UTC timestamps for bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# --------------------------------------------------------------------------- core (synthetic)


class CoreMeta(Base):
    """What the synthetic core was generated from (seed, as-of day): history is derived from it."""

    __tablename__ = "core_meta"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class CoreCustomer(Base):
    __tablename__ = "core_customer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the person's index in the alliance
    ci_digest: Mapped[str] = mapped_column(String(64), unique=True)
    ci_sealed: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[str] = mapped_column(String(8))
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    phone_sealed: Mapped[str] = mapped_column(String(120))
    reg_date: Mapped[str] = mapped_column(String(8))
    assets_modified_at: Mapped[str] = mapped_column(String(14))  # search_timestamp of the list APIs
    history_ready: Mapped[bool] = mapped_column(Boolean, default=False)  # history written from the generator


CLOSED_STATUS = "99"  # core_asset.status of a closed product (해지): left out of lists, 40404 when asked for
BLOCKED_STATUS = "98"  # a product that may not be read (분실·사고 등): 40305
"""Other statuses are the standard's own per kind: accounts ``01``; telecom ``01`` 정상,
``02`` 고객정지, ``03`` 연체정지 (all readable)."""


class CoreAsset(Base):
    """Every product a customer holds: deposit/loan account, card or telecom contract.

    ``detail`` is the product's standard fields as JSON (they differ per kind and are read
    whole); ``balance_amt`` is the live balance of deposit and loan accounts once the history
    is written.
    """

    __tablename__ = "core_asset"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # deposit | loan | card | telecom
    asset_key: Mapped[str] = mapped_column(String(64), unique=True)  # account_num | card_id | mgmt_id
    seqno: Mapped[str | None] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(2), default="01")
    sort_key: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    balance_amt: Mapped[int | None] = mapped_column(BigInteger)
    currency_code: Mapped[str | None] = mapped_column(String(3))  # accounts only (은행-002/003/004)
    modified_at: Mapped[str] = mapped_column(String(14))


class CoreDepositTransaction(Base):
    """은행-004 rows; also where transfers land."""

    __tablename__ = "core_deposit_tx"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("core_asset.id"))
    trans_dtime: Mapped[str] = mapped_column(String(14))
    trans_no: Mapped[str] = mapped_column(String(64))
    trans_type: Mapped[str] = mapped_column(String(2))
    trans_class: Mapped[str] = mapped_column(String(30))
    trans_amt: Mapped[int] = mapped_column(BigInteger)
    balance_amt: Mapped[int] = mapped_column(BigInteger)
    trans_memo: Mapped[str] = mapped_column(String(60))
    __table_args__ = (Index("ix_core_deposit_tx_page", "asset_id", "trans_dtime", "id"),)


class CoreLoanTransaction(Base):
    """은행-010 rows."""

    __tablename__ = "core_loan_tx"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("core_asset.id"))
    trans_dtime: Mapped[str] = mapped_column(String(14))
    trans_no: Mapped[str] = mapped_column(String(64))
    trans_type: Mapped[str] = mapped_column(String(2))
    trans_amt: Mapped[int] = mapped_column(BigInteger)
    balance_amt: Mapped[int] = mapped_column(BigInteger)
    principal_amt: Mapped[int] = mapped_column(BigInteger)
    int_amt: Mapped[int] = mapped_column(BigInteger)
    int_rate: Mapped[str] = mapped_column(String(10))
    int_start_date: Mapped[str] = mapped_column(String(8))
    int_end_date: Mapped[str] = mapped_column(String(8))
    __table_args__ = (Index("ix_core_loan_tx_page", "asset_id", "trans_dtime", "id"),)


class CoreCardApproval(Base):
    """카드-008 (domestic) and 카드-009 (overseas) rows."""

    __tablename__ = "core_card_approval"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("core_asset.id"))
    approved_dtime: Mapped[str] = mapped_column(String(14))
    approved_num: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(2))  # 01 승인 02 승인취소 03 정정 04 무승인매입
    pay_type: Mapped[str] = mapped_column(String(2))  # 01 신용 02 체크
    trans_dtime: Mapped[str | None] = mapped_column(String(14))  # 정정·취소 일시
    merchant_name: Mapped[str] = mapped_column(String(75))
    merchant_regno: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(20))
    approved_amt: Mapped[int] = mapped_column(BigInteger)
    modified_amt: Mapped[int | None] = mapped_column(BigInteger)
    total_install_cnt: Mapped[int | None] = mapped_column(Integer)
    country_code: Mapped[str | None] = mapped_column(String(2))
    currency_code: Mapped[str | None] = mapped_column(String(3))
    foreign_amt: Mapped[str | None] = mapped_column(String(20))  # 카드-009 amount in its currency
    __table_args__ = (Index("ix_core_card_approval_page", "asset_id", "approved_dtime", "id"),)


class CoreCardBill(Base):
    """카드-004 rows (customer level) with their 카드-005 details as JSON."""

    __tablename__ = "core_card_bill"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"))
    seqno: Mapped[str] = mapped_column(String(4))
    charge_month: Mapped[str] = mapped_column(String(6))
    charge_day: Mapped[int] = mapped_column(Integer)
    charge_amt: Mapped[int] = mapped_column(BigInteger)
    paid_out_date: Mapped[str] = mapped_column(String(8))
    card_type: Mapped[str] = mapped_column(String(2))
    details: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("customer_id", "charge_month", "seqno"),)


class CoreTelecomMonth(Base):
    """통신-002 (bill) and 통신-003 (payment) of one contract for one month."""

    __tablename__ = "core_telecom_month"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("core_asset.id"))
    month: Mapped[str] = mapped_column(String(6))
    charge_amt: Mapped[int] = mapped_column(BigInteger)
    charge_date: Mapped[str] = mapped_column(String(8))
    paid_amt: Mapped[int | None] = mapped_column(BigInteger)
    pay_method: Mapped[str | None] = mapped_column(String(2))
    __table_args__ = (UniqueConstraint("asset_id", "month"),)


class CoreTelecomPaid(Base):
    """통신-004 rows: carrier-billing micro-payments."""

    __tablename__ = "core_telecom_paid"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("core_asset.id"))
    trans_dtime: Mapped[str] = mapped_column(String(14))
    trans_amt: Mapped[int] = mapped_column(BigInteger)
    merchant_name: Mapped[str] = mapped_column(String(75))
    merchant_regno: Mapped[str] = mapped_column(String(12))
    trans_title: Mapped[str] = mapped_column(String(60))
    __table_args__ = (Index("ix_core_telecom_paid_page", "asset_id", "trans_dtime", "id"),)


class CorePoint(Base):
    """카드-003 rows."""

    __tablename__ = "core_point"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    point_name: Mapped[str] = mapped_column(String(60))
    remain_point_amt: Mapped[int] = mapped_column(BigInteger)
    expiring_point_amt: Mapped[int] = mapped_column(BigInteger)


# --------------------------------------------------------------------------- MyData gateway


class GwAuthorization(Base):
    """개별인증-001: one authorization in progress, from the authorize call to the code."""

    __tablename__ = "gw_authorization"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(50))
    redirect_uri: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(40))
    api_tran_id: Mapped[str] = mapped_column(String(25))
    user_ci_digest: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    consent_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)


class GwConsent(Base):
    """전송요구 — what a customer agreed to send to one service, and when it ends.

    A new consent of the same customer for the same service supersedes the previous one; the
    holder then revokes the old grant itself (standard 1: the operator does not call revoke).
    """

    __tablename__ = "gw_consent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    client_id: Mapped[str] = mapped_column(String(50))
    rcv_org_code: Mapped[str] = mapped_column(String(10))
    is_scheduled: Mapped[bool] = mapped_column(Boolean)
    fnd_cycle: Mapped[str | None] = mapped_column(String(4))
    add_cycle: Mapped[str | None] = mapped_column(String(4))
    end_date: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(100))
    period: Mapped[int] = mapped_column(Integer)
    is_consent_trans_memo: Mapped[bool] = mapped_column(Boolean, default=False)
    is_consent_merchant_name_regno: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GwConsentAsset(Base):
    __tablename__ = "gw_consent_asset"
    consent_id: Mapped[int] = mapped_column(ForeignKey("gw_consent.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("core_asset.id"), primary_key=True)


class GwGrant(Base):
    """One access/refresh token pair issued for a consent (정보제공 API 호출용 토큰)."""

    __tablename__ = "gw_grant"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("gw_consent.id"))
    client_id: Mapped[str] = mapped_column(String(50))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(300))
    access_jti: Mapped[str] = mapped_column(String(43), unique=True)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GwIntegratedTx(Base):
    """통합인증-002 transactions seen (``tx_id``): a replayed signed request is refused."""

    __tablename__ = "gw_integrated_tx"
    tx_id: Mapped[str] = mapped_column(String(74), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GwScheduledCall(Base):
    """One ``x-api-type: scheduled`` call per asset, API and week (Sun–Sat); a second is 42901."""

    __tablename__ = "gw_scheduled_call"
    consent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    asset_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)


class GwTransfer(Base):
    """One withdrawal or deposit of the transfer API, keyed by its per-day transaction id."""

    __tablename__ = "gw_transfer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(50))
    bank_tran_id: Mapped[str] = mapped_column(String(20))
    bank_tran_date: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(10))  # withdraw | deposit
    asset_id: Mapped[int] = mapped_column(ForeignKey("core_asset.id"))
    tran_amt: Mapped[int] = mapped_column(BigInteger)
    balance_amt: Mapped[int] = mapped_column(BigInteger)
    counterparty_name: Mapped[str] = mapped_column(String(60))
    print_content: Mapped[str] = mapped_column(String(60))
    request_digest: Mapped[str] = mapped_column(String(64))
    api_tran_id: Mapped[str] = mapped_column(String(40))
    tran_dtime: Mapped[str] = mapped_column(String(14))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("client_id", "bank_tran_date", "bank_tran_id"),)


class GwSms(Base):
    """Text messages the carrier sent; the demo's "phone" page reads them."""

    __tablename__ = "gw_sms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GwCarrierVerification(Base):
    """Carrier identity verification: a one-time code sent to the phone, then the CI."""

    __tablename__ = "gw_carrier_verification"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(50))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GwApiCall(Base):
    """Every call of the holder's APIs with its ``x-api-tran-id`` and ``x-api-type`` (standard 2.3):
    for tracing a complaint or an incident across organisations and for the 지원 statistics."""

    __tablename__ = "gw_api_call"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tran_id: Mapped[str] = mapped_column(String(25), index=True)
    client_org_code: Mapped[str | None] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(6))
    api: Mapped[str] = mapped_column(String(120))
    api_type: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[int] = mapped_column(Integer)
    called_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
