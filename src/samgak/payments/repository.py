"""All SQL of MyPayment."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.payments.models import (
    Base,
    PaymentsApiKey,
    PaymentsEvent,
    PaymentsIdempotency,
    PaymentsInstruction,
    PaymentsMerchant,
    PaymentsPayment,
    PaymentsWebhook,
)


class PaymentsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Base) -> None:
        self.session.add(row)
        await self.session.flush()

    async def merchant_count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(PaymentsMerchant)) or 0)

    async def merchant(self, merchant_id: str) -> PaymentsMerchant | None:
        return await self.session.get(PaymentsMerchant, merchant_id)

    async def merchant_by_business_no(self, business_no: str) -> PaymentsMerchant | None:
        return await self.session.scalar(
            select(PaymentsMerchant).where(PaymentsMerchant.business_no == business_no)
        )

    async def api_key(self, prefix: str) -> PaymentsApiKey | None:
        return await self.session.get(PaymentsApiKey, prefix)

    async def claim_key(
        self,
        merchant_id: str,
        key: str,
        request_hash: str,
        now: datetime,
        lock_until: datetime,
        expired_before: datetime,
    ) -> tuple[bool, PaymentsIdempotency | None]:
        """(ours, the stored row): ours when this request now holds the key — new, expired (kept
        24 hours), or left locked by a request that died."""
        await self.session.execute(
            delete(PaymentsIdempotency).where(
                PaymentsIdempotency.merchant_id == merchant_id,
                PaymentsIdempotency.key == key,
                PaymentsIdempotency.created_at < expired_before,
            )
        )
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = await self.session.execute(
            dialect.insert(PaymentsIdempotency)
            .values(
                merchant_id=merchant_id,
                key=key,
                request_hash=request_hash,
                status_code=None,
                body=None,
                created_at=now,
                locked_until=lock_until,
            )
            .on_conflict_do_nothing(index_elements=["merchant_id", "key"])
            .returning(PaymentsIdempotency.id)
        )
        if inserted.scalar_one_or_none() is not None:
            return True, None
        taken = await self.session.execute(
            update(PaymentsIdempotency)
            .where(
                PaymentsIdempotency.merchant_id == merchant_id,
                PaymentsIdempotency.key == key,
                PaymentsIdempotency.request_hash == request_hash,
                PaymentsIdempotency.status_code.is_(None),
                PaymentsIdempotency.locked_until < now,
            )
            .values(locked_until=lock_until)
            .returning(PaymentsIdempotency.id)
            .execution_options(synchronize_session=False)
        )
        if taken.scalar_one_or_none() is not None:
            return True, None
        stored = await self.session.scalar(
            select(PaymentsIdempotency).where(
                PaymentsIdempotency.merchant_id == merchant_id, PaymentsIdempotency.key == key
            )
        )
        return False, stored

    async def answer_key(self, merchant_id: str, key: str, status_code: int, body: str) -> None:
        await self.session.execute(
            update(PaymentsIdempotency)
            .where(PaymentsIdempotency.merchant_id == merchant_id, PaymentsIdempotency.key == key)
            .values(status_code=status_code, body=body)
            .execution_options(synchronize_session=False)
        )

    async def release_key(self, merchant_id: str, key: str) -> None:
        await self.session.execute(
            delete(PaymentsIdempotency).where(
                PaymentsIdempotency.merchant_id == merchant_id,
                PaymentsIdempotency.key == key,
                PaymentsIdempotency.status_code.is_(None),
            )
        )

    async def settle_instruction(
        self, instruction_id: int, state: str, bank_code: str | None, at: datetime
    ) -> None:
        await self.session.execute(
            update(PaymentsInstruction)
            .where(PaymentsInstruction.id == instruction_id)
            .values(state=state, bank_code=bank_code, updated_at=at)
            .execution_options(synchronize_session=False)
        )

    async def events_after(self, merchant_id: str, after: int, limit: int) -> Sequence[PaymentsEvent]:
        stmt = (
            select(PaymentsEvent)
            .where(PaymentsEvent.merchant_id == merchant_id, PaymentsEvent.id > after)
            .order_by(PaymentsEvent.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def due_events(self, now: datetime, limit: int) -> Sequence[PaymentsEvent]:
        stmt = (
            select(PaymentsEvent)
            .where(PaymentsEvent.next_attempt_at.is_not(None), PaymentsEvent.next_attempt_at <= now)
            .order_by(PaymentsEvent.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def webhooks_of(self, merchant_ids: Collection[str]) -> dict[str, list[PaymentsWebhook]]:
        stmt = select(PaymentsWebhook).where(PaymentsWebhook.merchant_id.in_(sorted(merchant_ids)))
        found: dict[str, list[PaymentsWebhook]] = {}
        for hook in (await self.session.scalars(stmt)).all():
            found.setdefault(hook.merchant_id, []).append(hook)
        return found

    async def settle_event(
        self,
        event_id: int,
        attempts: int,
        next_at: datetime | None,
        delivered_at: datetime | None,
        error: str | None,
    ) -> None:
        await self.session.execute(
            update(PaymentsEvent)
            .where(PaymentsEvent.id == event_id)
            .values(attempts=attempts, next_attempt_at=next_at, delivered_at=delivered_at, last_error=error)
            .execution_options(synchronize_session=False)
        )

    async def payment(self, payment_id: str) -> PaymentsPayment | None:
        return await self.session.get(PaymentsPayment, payment_id)

    async def payment_by_order(self, merchant_id: str, order_id: str) -> PaymentsPayment | None:
        return await self.session.scalar(
            select(PaymentsPayment).where(
                PaymentsPayment.merchant_id == merchant_id, PaymentsPayment.order_id == order_id
            )
        )
