"""Tables of partner offers (platform database).

``offers_enrolment`` — a person's enrolment in a partner product (and its opt-out).
``offers_benefit`` — what an enrolment earned in a month: won and/or rate points, with the note
that explains it; one row per person, product and month, so a monthly run is idempotent.
``offers_referral`` — what each KT store brought (joins, links, enrolments), counted or not.
``offers_marketing`` — who agreed to marketing; ``offers_campaign`` and ``offers_campaign_member``
— joint campaigns, their audience and holdout; ``offers_campaign_candidate`` — customers members
re-identified for a campaign on an approved release; ``offers_store_staff`` — who works at which store.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class OffersEnrolment(Base):
    __tablename__ = "offers_enrolment"
    __table_args__ = (UniqueConstraint("subject", "product"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(43))
    product: Mapped[str] = mapped_column(String(40), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_month: Mapped[str] = mapped_column(String(6))  # YYYYMM the benefit starts
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OffersBenefit(Base):
    __tablename__ = "offers_benefit"
    # month first: a run looks up a batch of people within one month
    __table_args__ = (UniqueConstraint("month", "subject", "product"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(43), index=True)
    product: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(6))
    won: Mapped[int] = mapped_column(BigInteger)
    rate_bp: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OffersReferral(Base):
    """What a KT store brought: a customer joining through it, each member they linked, each
    product they enrolled in. Counted once per customer (CI) and event, whichever store was
    first; a later or suspicious one is kept uncounted with the reason."""

    __tablename__ = "offers_referral"
    __table_args__ = (
        Index(
            "uq_offers_referral_counted",
            "subject",
            "event",
            "detail",
            unique=True,
            sqlite_where=text("counted"),
            postgresql_where=text("counted"),
        ),
        Index("ix_offers_referral_store_at", "store", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(43))
    event: Mapped[str] = mapped_column(String(10))  # join | link | enrol
    detail: Mapped[str] = mapped_column(String(40))  # the member linked, the product enrolled
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    counted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(100))


class OffersMarketing(Base):
    """A customer's agreement to receive marketing from the alliance's members (and its withdrawal)."""

    __tablename__ = "offers_marketing"
    subject: Mapped[str] = mapped_column(String(43), primary_key=True)
    agreed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OffersCampaign(Base):
    """A joint campaign: a product promoted to a segment, with a random holdout."""

    __tablename__ = "offers_campaign"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    product: Mapped[str] = mapped_column(String(40))
    segment: Mapped[str] = mapped_column(String(40))
    holdout_pct: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    launched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OffersCampaignMember(Base):
    """A customer in a campaign's audience: sent the message (treatment) or held out."""

    __tablename__ = "offers_campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(43), index=True)
    holdout: Mapped[bool] = mapped_column(Boolean)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OffersCampaignCandidate(Base):
    """A customer a member re-identified for a campaign built on an approved release (kept only
    with a live marketing agreement); the audience of such a campaign at launch."""

    __tablename__ = "offers_campaign_candidate"
    __table_args__ = (UniqueConstraint("campaign_id", "subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(43))
    org_code: Mapped[str] = mapped_column(String(10))  # the member who re-identified the customer
    request_id: Mapped[str] = mapped_column(String(24))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OffersStoreStaff(Base):
    """A store's own staff (their referrals of themselves are not counted)."""

    __tablename__ = "offers_store_staff"
    subject: Mapped[str] = mapped_column(String(43), primary_key=True)
    store: Mapped[str] = mapped_column(String(8))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
