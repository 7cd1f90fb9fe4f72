"""All SQL of the analytics module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.analytics.models import (
    AnalyticsCombination,
    AnalyticsReview,
    AnalyticsScoreCall,
    AnalyticsSegment,
)


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self, row: AnalyticsCombination | AnalyticsReview | AnalyticsSegment | AnalyticsScoreCall
    ) -> None:
        self.session.add(row)

    async def combination(self, combination_id: str) -> AnalyticsCombination | None:
        return await self.session.get(AnalyticsCombination, combination_id)

    async def review(self, review_id: str, *, for_update: bool = False) -> AnalyticsReview | None:
        return await self.session.get(AnalyticsReview, review_id, with_for_update=for_update)

    async def segment(self, segment_id: str) -> AnalyticsSegment | None:
        return await self.session.get(AnalyticsSegment, segment_id)

    async def combinations(self) -> list[AnalyticsCombination]:
        found = await self.session.scalars(
            select(AnalyticsCombination).order_by(AnalyticsCombination.created_at.desc())
        )
        return list(found)

    async def reviews(self) -> list[AnalyticsReview]:
        found = await self.session.scalars(
            select(AnalyticsReview).order_by(AnalyticsReview.created_at.desc())
        )
        return list(found)

    async def segments(self) -> list[AnalyticsSegment]:
        found = await self.session.scalars(
            select(AnalyticsSegment).order_by(AnalyticsSegment.created_at.desc())
        )
        return list(found)

    async def scores_since(self, since: datetime, model_version: str) -> list[float]:
        """The scores answered since ``since`` by one model version (what the drift report reads)."""
        found = await self.session.scalars(
            select(AnalyticsScoreCall.score).where(
                AnalyticsScoreCall.at >= since,
                AnalyticsScoreCall.model_version == model_version,
                AnalyticsScoreCall.score.is_not(None),
            )
        )
        return [float(score) for score in found if score is not None]

    async def score_calls(self, limit: int) -> list[AnalyticsScoreCall]:
        found = await self.session.scalars(
            select(AnalyticsScoreCall).order_by(AnalyticsScoreCall.id.desc()).limit(limit)
        )
        return list(found)
