"""Tables of the MyData service (the licensed operator's side, platform database).

``mydata_consent_event`` — every transmission request (전송요구) as append-only events; a
consent's current state is its newest event (requested → linked → withdrawn, or refused).
``mydata_signing`` — one integrated-auth signature (IA102) over a bundle of consents.
``mydata_link`` — the token vault: one holder's tokens for one consent, sealed at rest.
``mydata_asset`` — an asset as we know it; its ``id`` stays the same across re-consent (found by a
keyed digest of the holder's identifier, which is kept sealed).
``mydata_record`` — collected rows (transactions, approvals, bills, payments), de-duplicated by
``(asset_id, dedup_key)``.
``mydata_access_log`` — every call we made to a holder for a customer: who, what, when, why.
``mydata_run`` / ``mydata_job`` — a collection run and its jobs, one per link: a job is claimed
with a lease and marked done in the same unit of work that stores what it collected, so a
collector killed at any point is resumed without duplicates or gaps.
``mydata_operator`` — the operator's service credentials at the holders (the secret sealed), so
every process of the MyData service (web, collector, workers) calls as the same client.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class MydataConsentEvent(Base):
    __tablename__ = "mydata_consent_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consent_id: Mapped[str] = mapped_column(String(74), index=True)  # the 통합인증 tx_id
    subject: Mapped[str] = mapped_column(String(43), index=True)
    org_code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))  # requested | linked | refused | withdrawn
    document: Mapped[str | None] = mapped_column(Text)  # the 전송요구내역 JSON (on "requested")
    detail: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MydataSigning(Base):
    __tablename__ = "mydata_signing"
    cert_tx_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sign_tx_id: Mapped[str] = mapped_column(String(49))
    subject: Mapped[str] = mapped_column(String(43), index=True)
    consent_ids: Mapped[str] = mapped_column(Text)  # JSON list
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MydataLink(Base):
    __tablename__ = "mydata_link"
    consent_id: Mapped[str] = mapped_column(String(74), primary_key=True)
    subject: Mapped[str] = mapped_column(String(43), index=True)
    org_code: Mapped[str] = mapped_column(String(10))
    scope: Mapped[str] = mapped_column(String(500))
    cycle: Mapped[str | None] = mapped_column(String(4))  # scheduled transmission (None: on demand only)
    purpose: Mapped[str] = mapped_column(
        String(100), server_default="통합 자산관리"
    )  # the consent's (access log)
    access_sealed: Mapped[str] = mapped_column(Text)
    refresh_sealed: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    list_timestamp: Mapped[str | None] = mapped_column(String(14))  # the list API's search_timestamp (2.6)


class MydataAsset(Base):
    __tablename__ = "mydata_asset"
    __table_args__ = (UniqueConstraint("subject", "org_code", "key_digest"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(43), index=True)
    org_code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))  # deposit | loan | card | telecom
    key_digest: Mapped[str] = mapped_column(String(64))
    key_sealed: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100))
    masked: Mapped[str] = mapped_column(String(40))  # what pages show of the number
    status: Mapped[str] = mapped_column(String(4))
    balance: Mapped[int | None] = mapped_column(BigInteger)  # won (loans: the balance owed)
    detail: Mapped[str] = mapped_column(Text)  # JSON of the holder's list item, number removed
    consent_id: Mapped[str | None] = mapped_column(String(74), index=True)  # the live consent covering it
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MydataRecord(Base):
    __tablename__ = "mydata_record"
    __table_args__ = (UniqueConstraint("asset_id", "dedup_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # found through the unique (asset_id, dedup_key) index: no index of its own to write
    asset_id: Mapped[int] = mapped_column(ForeignKey("mydata_asset.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # deposit_tx | loan_tx | approval | bill | telecom_tx | paid
    at: Mapped[str] = mapped_column(String(14))  # holder's local time, YYYYMMDD[hhmmss]
    amount: Mapped[int] = mapped_column(BigInteger)  # won; outflows negative
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)


class MydataAccessLog(Base):
    __tablename__ = "mydata_access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(43), index=True)
    org_code: Mapped[str] = mapped_column(String(10))
    api: Mapped[str] = mapped_column(String(60))
    api_type: Mapped[str] = mapped_column(String(20))  # user-consent | user-refresh | scheduled
    asset_id: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(100))
    rsp_code: Mapped[str] = mapped_column(String(5))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MydataRun(Base):
    __tablename__ = "mydata_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    api_type: Mapped[str] = mapped_column(String(20))  # x-api-type of every call of the run
    origin: Mapped[str] = mapped_column(String(20))  # cli | schedule
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MydataJob(Base):
    __tablename__ = "mydata_job"
    __table_args__ = (Index("ix_mydata_job_run_state", "run_id", "state"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("mydata_run.id", ondelete="CASCADE"))
    consent_id: Mapped[str] = mapped_column(String(74))  # the link collected
    org_code: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))  # pending | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(200))  # rsp_code and message of a failure
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MydataOperator(Base):
    __tablename__ = "mydata_operator"
    service_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(50))
    secret_sealed: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
