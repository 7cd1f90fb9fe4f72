"""All SQL of carrier verification: verifications in progress and the text messages sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.models import CoreCustomer, GwCarrierVerification, GwSms


class CarrierRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: AsyncSession) -> CarrierRepository:
        return cls(session)

    async def recent_count(self, phone_digest: str, since: datetime) -> int:
        """Verifications started for this phone since ``since``."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(GwCarrierVerification)
            .where(
                GwCarrierVerification.phone_digest == phone_digest, GwCarrierVerification.created_at >= since
            )
        )
        return int(count or 0)

    async def add(self, verification: GwCarrierVerification) -> None:
        self.session.add(verification)
        await self.session.flush()

    async def verification(self, verification_id: str) -> GwCarrierVerification | None:
        return await self.session.scalar(
            select(GwCarrierVerification)
            .where(GwCarrierVerification.id == verification_id)
            .execution_options(populate_existing=True)
        )

    async def count_failure(self, verification_id: str, max_attempts: int) -> int | None:
        """One more wrong code, atomically; the attempts so far, or None when already locked or used."""
        result = await self.session.execute(
            update(GwCarrierVerification)
            .where(
                GwCarrierVerification.id == verification_id,
                GwCarrierVerification.attempts < max_attempts,
                GwCarrierVerification.verified_at.is_(None),
            )
            .values(attempts=GwCarrierVerification.attempts + 1)
            .returning(GwCarrierVerification.attempts)
        )
        return result.scalar_one_or_none()

    async def mark_verified(self, verification_id: str, max_attempts: int, now: datetime) -> bool:
        """Claim the verification as done; False when it was used or locked meanwhile."""
        result = await self.session.execute(
            update(GwCarrierVerification)
            .where(
                GwCarrierVerification.id == verification_id,
                GwCarrierVerification.attempts < max_attempts,
                GwCarrierVerification.verified_at.is_(None),
            )
            .values(verified_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def subscriber_name(self, customer_id: int) -> str | None:
        return await self.session.scalar(select(CoreCustomer.name).where(CoreCustomer.id == customer_id))

    async def add_sms(self, sms: GwSms) -> None:
        self.session.add(sms)
        await self.session.flush()

    async def messages(self, phone_digest: str, limit: int) -> Sequence[GwSms]:
        """Text messages sent to this phone, newest first."""
        stmt = select(GwSms).where(GwSms.phone_digest == phone_digest).order_by(GwSms.id.desc()).limit(limit)
        return (await self.session.scalars(stmt)).all()
