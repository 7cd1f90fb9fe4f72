"""All SQL of MyPayment."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
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
    PaymentsRefund,
    PaymentsSettlement,
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

    async def api_keys_of(self, merchant_id: str) -> Sequence[PaymentsApiKey]:
        stmt = select(PaymentsApiKey).where(PaymentsApiKey.merchant_id == merchant_id)
        return (await self.session.scalars(stmt.order_by(PaymentsApiKey.created_at))).all()

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
    ) -> bool:
        """Settle a pending instruction; False when another process settled it first."""
        settled = await self.session.execute(
            update(PaymentsInstruction)
            .where(
                PaymentsInstruction.id == instruction_id, PaymentsInstruction.state.in_(("sent", "unknown"))
            )
            .values(state=state, bank_code=bank_code, updated_at=at)
            .returning(PaymentsInstruction.id)
            .execution_options(synchronize_session=False)
        )
        return settled.scalar_one_or_none() is not None

    async def instruction(self, instruction_id: int) -> PaymentsInstruction | None:
        return await self.session.get(PaymentsInstruction, instruction_id)

    async def take_pending_instructions(
        self, quiet_since: datetime, now: datetime, limit: int
    ) -> list[PaymentsInstruction]:
        """Pending instructions nobody touched since ``quiet_since``, touched now (taken)."""
        stale = and_(
            PaymentsInstruction.state.in_(("sent", "unknown")), PaymentsInstruction.updated_at < quiet_since
        )
        ids = (
            await self.session.scalars(
                select(PaymentsInstruction.id).where(stale).order_by(PaymentsInstruction.id).limit(limit)
            )
        ).all()
        if not ids:
            return []
        taken = await self.session.scalars(
            update(PaymentsInstruction)
            .where(PaymentsInstruction.id.in_(ids), stale)
            .values(updated_at=now)
            .returning(PaymentsInstruction)
            .execution_options(synchronize_session=False)
        )
        return list(taken.all())

    async def instructions_of_day(self, org_code: str, day: str) -> Sequence[PaymentsInstruction]:
        stmt = select(PaymentsInstruction).where(
            PaymentsInstruction.org_code == org_code, PaymentsInstruction.bank_tran_date == day
        )
        return (await self.session.scalars(stmt.order_by(PaymentsInstruction.id))).all()

    async def move_payment(self, payment_id: str, from_status: str, **values: object) -> bool:
        """Move a payment on from ``from_status`` (False when it is no longer there)."""
        moved = await self.session.execute(
            update(PaymentsPayment)
            .where(PaymentsPayment.id == payment_id, PaymentsPayment.status == from_status)
            .values(**values)
            .returning(PaymentsPayment.id)
            .execution_options(synchronize_session=False)
        )
        return moved.scalar_one_or_none() is not None

    async def expire_requests(self, created_before: datetime, at: datetime) -> Sequence[PaymentsPayment]:
        """RCVD → CANC for requests nobody approved in time; the payments cancelled."""
        expired = await self.session.scalars(
            update(PaymentsPayment)
            .where(PaymentsPayment.status == "RCVD", PaymentsPayment.created_at < created_before)
            .values(status="CANC", reason="결제 시간이 지났습니다", updated_at=at)
            .returning(PaymentsPayment)
            .execution_options(synchronize_session=False)
        )
        return expired.all()

    async def stale_accepted(self, quiet_since: datetime, limit: int) -> Sequence[str]:
        """Payments approved (ACTC) whose instruction was never written (a process died between)."""
        stmt = (
            select(PaymentsPayment.id)
            .where(PaymentsPayment.status == "ACTC", PaymentsPayment.updated_at < quiet_since)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def take_refundable(self, payment_id: str, merchant_id: str, amount: int, at: datetime) -> bool:
        """Count ``amount`` as refunded if the captured payment still has that much left."""
        taken = await self.session.execute(
            update(PaymentsPayment)
            .where(
                PaymentsPayment.id == payment_id,
                PaymentsPayment.merchant_id == merchant_id,
                PaymentsPayment.status == "ACSC",
                PaymentsPayment.refunded + amount <= PaymentsPayment.amount,
            )
            .values(refunded=PaymentsPayment.refunded + amount, updated_at=at)
            .returning(PaymentsPayment.id)
            .execution_options(synchronize_session=False)
        )
        return taken.scalar_one_or_none() is not None

    async def give_back_refundable(self, payment_id: str, amount: int, at: datetime) -> None:
        await self.session.execute(
            update(PaymentsPayment)
            .where(PaymentsPayment.id == payment_id)
            .values(refunded=PaymentsPayment.refunded - amount, updated_at=at)
            .execution_options(synchronize_session=False)
        )

    async def refund(self, refund_id: str) -> PaymentsRefund | None:
        return await self.session.get(PaymentsRefund, refund_id)

    async def move_refund(self, refund_id: str, from_status: str, **values: object) -> bool:
        moved = await self.session.execute(
            update(PaymentsRefund)
            .where(PaymentsRefund.id == refund_id, PaymentsRefund.status == from_status)
            .values(**values)
            .returning(PaymentsRefund.id)
            .execution_options(synchronize_session=False)
        )
        return moved.scalar_one_or_none() is not None

    async def refunds_of(self, payment_ids: Collection[str]) -> dict[str, list[PaymentsRefund]]:
        stmt = select(PaymentsRefund).where(PaymentsRefund.payment_id.in_(sorted(payment_ids)))
        found: dict[str, list[PaymentsRefund]] = {}
        for refund in (await self.session.scalars(stmt.order_by(PaymentsRefund.created_at))).all():
            found.setdefault(refund.payment_id, []).append(refund)
        return found

    async def payments_of_merchant(self, merchant_id: str, limit: int) -> Sequence[PaymentsPayment]:
        stmt = (
            select(PaymentsPayment)
            .where(PaymentsPayment.merchant_id == merchant_id)
            .order_by(PaymentsPayment.created_at.desc())
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def payments_of_payer(self, subject: str, limit: int) -> Sequence[tuple[PaymentsPayment, str]]:
        stmt = (
            select(PaymentsPayment, PaymentsMerchant.name)
            .join(PaymentsMerchant, PaymentsMerchant.id == PaymentsPayment.merchant_id)
            .where(PaymentsPayment.payer_subject == subject)
            .order_by(PaymentsPayment.created_at.desc())
            .limit(limit)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(stmt)).all()]

    async def claim_for_settlement(self, merchant_id: str, settlement_id: str) -> tuple[int, int, int, int]:
        """Mark the merchant's unsettled captures and refunds as this settlement's:
        ``(payments, gross, fees, refunds)``."""
        captured = (
            await self.session.execute(
                update(PaymentsPayment)
                .where(
                    PaymentsPayment.merchant_id == merchant_id,
                    PaymentsPayment.status == "ACSC",
                    PaymentsPayment.settlement_id.is_(None),
                )
                .values(settlement_id=settlement_id)
                .returning(PaymentsPayment.amount, PaymentsPayment.fee)
                .execution_options(synchronize_session=False)
            )
        ).all()
        refunded = (
            await self.session.execute(
                update(PaymentsRefund)
                .where(
                    PaymentsRefund.merchant_id == merchant_id,
                    PaymentsRefund.status == "ACSC",
                    PaymentsRefund.settlement_id.is_(None),
                )
                .values(settlement_id=settlement_id)
                .returning(PaymentsRefund.amount)
                .execution_options(synchronize_session=False)
            )
        ).all()
        return (
            len(captured),
            sum(int(a) for a, _ in captured),
            sum(int(f) for _, f in captured),
            sum(int(a) for (a,) in refunded),
        )

    async def last_settlement(self, merchant_id: str) -> PaymentsSettlement | None:
        return await self.session.scalar(
            select(PaymentsSettlement)
            .where(PaymentsSettlement.merchant_id == merchant_id)
            .order_by(PaymentsSettlement.day.desc())
            .limit(1)
        )

    async def settlement(self, settlement_id: str) -> PaymentsSettlement | None:
        return await self.session.get(PaymentsSettlement, settlement_id)

    async def settlements_of(self, merchant_id: str, limit: int) -> Sequence[PaymentsSettlement]:
        stmt = (
            select(PaymentsSettlement)
            .where(PaymentsSettlement.merchant_id == merchant_id)
            .order_by(PaymentsSettlement.day.desc())
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def settled_items(
        self, settlement_id: str
    ) -> tuple[Sequence[PaymentsPayment], Sequence[PaymentsRefund]]:
        payments = await self.session.scalars(
            select(PaymentsPayment)
            .where(PaymentsPayment.settlement_id == settlement_id)
            .order_by(PaymentsPayment.captured_at)
        )
        refunds = await self.session.scalars(
            select(PaymentsRefund)
            .where(PaymentsRefund.settlement_id == settlement_id)
            .order_by(PaymentsRefund.done_at)
        )
        return payments.all(), refunds.all()

    async def move_settlement(self, settlement_id: str, from_status: str, **values: object) -> bool:
        moved = await self.session.execute(
            update(PaymentsSettlement)
            .where(PaymentsSettlement.id == settlement_id, PaymentsSettlement.status == from_status)
            .values(**values)
            .returning(PaymentsSettlement.id)
            .execution_options(synchronize_session=False)
        )
        return moved.scalar_one_or_none() is not None

    async def merchants(self) -> Sequence[PaymentsMerchant]:
        return (await self.session.scalars(select(PaymentsMerchant).order_by(PaymentsMerchant.id))).all()

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
