"""All SQL of partner offers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.offers.models import (
    OffersBenefit,
    OffersCampaign,
    OffersCampaignCandidate,
    OffersCampaignMember,
    OffersEnrolment,
    OffersMarketing,
    OffersReferral,
    OffersStoreStaff,
)


class OffersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enrolments_of(self, subject: str) -> dict[str, OffersEnrolment]:
        stmt = select(OffersEnrolment).where(OffersEnrolment.subject == subject)
        return {e.product: e for e in (await self.session.scalars(stmt)).all()}

    async def enrol(self, subject: str, product: str, at: datetime, first_month: str) -> None:
        """Enrol (again, after an opt-out) — one row per person and product."""
        found = await self.session.scalar(
            select(OffersEnrolment).where(
                OffersEnrolment.subject == subject, OffersEnrolment.product == product
            )
        )
        if found is None:
            self.session.add(
                OffersEnrolment(subject=subject, product=product, enrolled_at=at, first_month=first_month)
            )
        elif found.opted_out_at is not None:
            found.enrolled_at, found.first_month, found.opted_out_at = at, first_month, None
        await self.session.flush()

    async def opt_out(self, subject: str, product: str, at: datetime) -> bool:
        done = await self.session.execute(
            update(OffersEnrolment)
            .where(
                OffersEnrolment.subject == subject,
                OffersEnrolment.product == product,
                OffersEnrolment.opted_out_at.is_(None),
            )
            .values(opted_out_at=at)
            .returning(OffersEnrolment.id)
        )
        return done.scalar_one_or_none() is not None

    async def active_in(self, month: str, after_id: int, limit: int) -> Sequence[OffersEnrolment]:
        """Enrolments earning in ``month`` (started by then, not opted out), by id from ``after_id``."""
        stmt = (
            select(OffersEnrolment)
            .where(
                OffersEnrolment.first_month <= month,
                OffersEnrolment.opted_out_at.is_(None),
                OffersEnrolment.id > after_id,
            )
            .order_by(OffersEnrolment.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def add_benefits(self, rows: Sequence[dict[str, Any]]) -> list[tuple[int, str, int]]:
        """Insert the month's benefit rows that are not there yet; ``(id, product, won)`` of those
        inserted (a row computed before is left as it was)."""
        if not rows:
            return []
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = await self.session.execute(  # one cached statement, sent in batches
            dialect.insert(OffersBenefit)
            .on_conflict_do_nothing(index_elements=["month", "subject", "product"])
            .returning(OffersBenefit.id, OffersBenefit.product, OffersBenefit.won),
            list(rows),
        )
        return [(int(i), str(p), int(w)) for i, p, w in inserted.all()]

    async def benefits_of(self, subject: str) -> Sequence[OffersBenefit]:
        stmt = (
            select(OffersBenefit).where(OffersBenefit.subject == subject).order_by(OffersBenefit.month.desc())
        )
        return (await self.session.scalars(stmt)).all()

    async def month_totals(self, month: str) -> list[tuple[str, int, int]]:
        """(product, people, won) of a month."""
        stmt = (
            select(OffersBenefit.product, func.count(), func.coalesce(func.sum(OffersBenefit.won), 0))
            .where(OffersBenefit.month == month)
            .group_by(OffersBenefit.product)
        )
        return [(p, int(n), int(w)) for p, n, w in (await self.session.execute(stmt)).all()]

    async def referrals_of(self, subject: str) -> Sequence[OffersReferral]:
        stmt = select(OffersReferral).where(OffersReferral.subject == subject)
        return (await self.session.scalars(stmt)).all()

    async def counted_joins_since(self, store: str, since: datetime) -> int:
        stmt = select(func.count()).where(
            OffersReferral.store == store,
            OffersReferral.event == "join",
            OffersReferral.counted.is_(True),
            OffersReferral.at >= since,
        )
        return int(await self.session.scalar(stmt) or 0)

    async def add_referral(self, referral: OffersReferral) -> None:
        self.session.add(referral)
        await self.session.flush()

    async def referral_counts(self, since: datetime, until: datetime) -> Sequence[Any]:
        """(store, region, event, counted, n) of the referrals made between ``since`` and ``until``."""
        stmt = (
            select(
                OffersReferral.store,
                OffersReferral.region,
                OffersReferral.event,
                OffersReferral.counted,
                func.count(),
            )
            .where(OffersReferral.at >= since, OffersReferral.at < until)
            .group_by(
                OffersReferral.store, OffersReferral.region, OffersReferral.event, OffersReferral.counted
            )
        )
        return (await self.session.execute(stmt)).all()

    async def set_marketing(self, subject: str, agreed: bool, at: datetime) -> None:
        found = await self.session.get(OffersMarketing, subject)
        if found is None:
            if agreed:
                self.session.add(OffersMarketing(subject=subject, agreed_at=at, withdrawn_at=None))
        elif agreed:
            found.agreed_at, found.withdrawn_at = at, None
        else:
            found.withdrawn_at = at
        await self.session.flush()

    async def marketing_of(self, subject: str) -> bool:
        found = await self.session.get(OffersMarketing, subject)
        return found is not None and found.withdrawn_at is None

    async def marketing_audience(self) -> list[str]:
        stmt = select(OffersMarketing.subject).where(OffersMarketing.withdrawn_at.is_(None))
        return sorted((await self.session.scalars(stmt)).all())

    async def enrolled_in(self, product: str, subjects: Sequence[str]) -> set[str]:
        stmt = select(OffersEnrolment.subject).where(
            OffersEnrolment.product == product,
            OffersEnrolment.opted_out_at.is_(None),
            OffersEnrolment.subject.in_(subjects),
        )
        return set((await self.session.scalars(stmt)).all())

    async def add_campaign(self, campaign: OffersCampaign) -> None:
        self.session.add(campaign)
        await self.session.flush()

    async def campaign(self, campaign_id: str) -> OffersCampaign | None:
        return await self.session.get(OffersCampaign, campaign_id)

    async def campaigns(self) -> Sequence[OffersCampaign]:
        return (
            await self.session.scalars(select(OffersCampaign).order_by(OffersCampaign.created_at.desc()))
        ).all()

    async def add_candidates(self, candidates: Sequence[OffersCampaignCandidate]) -> None:
        """Add the ones not yet there (a member's retry or a second member's same customer)."""
        if not candidates:
            return
        campaign_id = candidates[0].campaign_id
        present = set(
            (
                await self.session.scalars(
                    select(OffersCampaignCandidate.subject).where(
                        OffersCampaignCandidate.campaign_id == campaign_id,
                        OffersCampaignCandidate.subject.in_([c.subject for c in candidates]),
                    )
                )
            ).all()
        )
        self.session.add_all(c for c in candidates if c.subject not in present)
        await self.session.flush()

    async def candidates(self, campaign_id: str) -> set[str]:
        stmt = select(OffersCampaignCandidate.subject).where(
            OffersCampaignCandidate.campaign_id == campaign_id
        )
        return set((await self.session.scalars(stmt)).all())

    async def add_members(self, members: Sequence[OffersCampaignMember]) -> None:
        self.session.add_all(members)
        await self.session.flush()

    async def campaign_counts(self, campaign: OffersCampaign) -> dict[tuple[bool, bool], int]:
        """(held out?, enrolled since the launch?) → customers."""
        enrolled = (
            select(OffersEnrolment.subject)
            .where(
                OffersEnrolment.product == campaign.product,
                OffersEnrolment.opted_out_at.is_(None),
                OffersEnrolment.enrolled_at >= campaign.launched_at,
            )
            .scalar_subquery()
        )
        took = OffersCampaignMember.subject.in_(enrolled)
        stmt = (
            select(OffersCampaignMember.holdout, took, func.count())
            .where(OffersCampaignMember.campaign_id == campaign.id)
            .group_by(OffersCampaignMember.holdout, took)
        )
        return {(bool(h), bool(t)): int(n) for h, t, n in (await self.session.execute(stmt)).all()}

    async def inbox_of(self, subject: str) -> Sequence[OffersCampaign]:
        stmt = (
            select(OffersCampaign)
            .join(OffersCampaignMember, OffersCampaignMember.campaign_id == OffersCampaign.id)
            .where(OffersCampaignMember.subject == subject, OffersCampaignMember.delivered_at.is_not(None))
            .order_by(OffersCampaign.launched_at.desc())
        )
        return (await self.session.scalars(stmt)).all()

    async def staff_store(self, subject: str) -> str | None:
        found = await self.session.get(OffersStoreStaff, subject)
        return found.store if found else None

    async def add_staff(self, subject: str, store: str, at: datetime) -> None:
        found = await self.session.get(OffersStoreStaff, subject)
        if found is None:
            self.session.add(OffersStoreStaff(subject=subject, store=store, joined_at=at))
        else:
            found.store, found.joined_at = store, at
        await self.session.flush()
