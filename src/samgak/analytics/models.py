"""Tables of the combination agency (platform database): what was combined, reviewed, decided.

``analytics_combination`` — one linkage of members' exports (its report as JSON);
``analytics_review`` — one release review: the criteria, what the search chose and the figures,
and the reviewer's decision with reasons (only an approved review's release leaves the agency);
``analytics_segment`` — a segment built on an approved release, and the campaign it fed;
``analytics_score_call`` — every credit score asked for: who asked, for whom, whether the
credit-assessment consent was there, and what was answered (the scoring audit trail).
The data themselves are Parquet files under ``settings.analytics.data_dir``, never rows here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class AnalyticsCombination(Base):
    __tablename__ = "analytics_combination"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    exports: Mapped[str] = mapped_column(Text)  # JSON list of export ids
    engine: Mapped[str] = mapped_column(String(10))
    linked: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text)  # JSON: the linkage report and the columns
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnalyticsReview(Base):
    __tablename__ = "analytics_review"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    combination_id: Mapped[str] = mapped_column(String(24), index=True)
    criteria: Mapped[str] = mapped_column(Text)  # JSON: k, suppression, ℓ, t
    result: Mapped[str] = mapped_column(Text)  # JSON: levels, figures, risk, utility
    decision: Mapped[str | None] = mapped_column(String(10))  # approved | rejected; None: pending
    reviewer: Mapped[str | None] = mapped_column(String(60))
    reasons: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AnalyticsSegment(Base):
    __tablename__ = "analytics_segment"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    review_id: Mapped[str] = mapped_column(String(24), index=True)
    name: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(Text)  # JSON: attribute → chosen values
    size: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnalyticsScoreCall(Base):
    __tablename__ = "analytics_score_call"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    org_code: Mapped[str] = mapped_column(String(10))  # the member who asked
    channel: Mapped[str] = mapped_column(String(10))  # api | page
    subject: Mapped[str] = mapped_column(String(43), index=True)
    consented: Mapped[bool] = mapped_column(Boolean)  # data linked for credit assessment were there
    model_version: Mapped[str | None] = mapped_column(String(40))
    score: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(2))
    reasons: Mapped[str | None] = mapped_column(Text)  # JSON list
