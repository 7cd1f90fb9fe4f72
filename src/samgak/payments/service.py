"""MyPayment's merchants, API keys, idempotent POSTs and payment requests.

Merchants of the card network are onboarded with their business registration number (checked
digit, 사업자등록번호), MCC, settlement account at a member bank and fee; each gets API keys, shown
once and kept as a digest. Every POST carries ``x-idempotency-key`` (1–40 characters): the key is
claimed in its own short unit of work, the work and its answer commit together, and a replay
within 24 hours returns that answer as it was; the same key with another body is refused (422), a
duplicate arriving while the first still runs gets 409. A refused request (bad input) saves
nothing, so it can be corrected and sent again under the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak import ledger
from samgak.kit.crypto import Sealer, equals, secret_digest
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow
from samgak.payments.errors import BadRequest, InProgress, KeyReused, NotFound, Unauthenticated
from samgak.payments.models import PaymentsApiKey, PaymentsMerchant, PaymentsPayment
from samgak.payments.repository import PaymentsRepository
from samgak.payments.webhooks import record

KEY_KEPT = timedelta(hours=24)
FEES_ACCOUNT = "fees"
KEY_LOCK = timedelta(seconds=30)  # a request that died leaves its key to a retry after this
_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def valid_business_no(number: str) -> bool:
    """사업자등록번호: ten digits, the last a check digit over the first nine."""
    if not re.fullmatch(r"\d{10}", number):
        return False
    digits = [int(c) for c in number]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=False)) + digits[8] * 5 // 10
    return (10 - total % 10) % 10 == digits[9]


def payable_account(merchant_id: str) -> str:
    """The ledger account of what the platform owes the merchant (records only: no hot row)."""
    return f"payable:{merchant_id}"


def settlement_account(merchant_id: str) -> str:
    """The ledger account of a settlement run's payout between the run and the bank's answer."""
    return f"settlement:{merchant_id}"


def clearing_account(org_code: str) -> str:
    """The ledger account of the platform's money at a bank: withdrawals in, deposits out."""
    return f"clearing:{org_code}"


@dataclass(frozen=True, slots=True)
class MerchantCreate:
    name: str
    business_no: str
    mcc: str
    settlement_org: str
    settlement_account: str
    settlement_holder: str  # 예금주 of the settlement account
    fee_bps: int


async def onboard(database: Database, sealer: Sealer, create: MerchantCreate) -> tuple[str, str]:
    """A new merchant and its first API key: ``(merchant id, key)`` — the key is shown only now."""
    number = create.business_no.replace("-", "")
    if not valid_business_no(number):
        raise BadRequest("사업자등록번호가 올바르지 않습니다 (10자리, 검증번호 확인)")
    if not re.fullmatch(r"\d{4}", create.mcc):
        raise BadRequest("MCC는 4자리 숫자입니다")
    if not 0 <= create.fee_bps <= 1000:
        raise BadRequest("수수료는 0–1000bp(0–10%)입니다")
    if not create.name.strip() or not re.fullmatch(r"\d{6,16}", create.settlement_account.replace("-", "")):
        raise BadRequest("가맹점명과 정산 계좌번호(6–16자리)를 확인하세요")
    if not 1 <= len(create.settlement_holder.strip()) <= 30:
        raise BadRequest("정산 계좌의 예금주 성명을 적으세요")
    now = utcnow()
    key = f"sk_{secrets.token_urlsafe(30)}"
    async with database.unit_of_work() as session:
        repo = PaymentsRepository(session)
        if await repo.merchant_by_business_no(number) is not None:
            raise BadRequest("이미 등록된 사업자등록번호입니다", code="merchant_exists")
        merchant_id = f"M{await repo.merchant_count() + 1:07d}"
        await repo.add(
            PaymentsMerchant(
                id=merchant_id,
                name=create.name.strip()[:100],
                business_no=number,
                mcc=create.mcc,
                settlement_org=create.settlement_org,
                settlement_account_sealed=sealer.seal(create.settlement_account.replace("-", "")),
                settlement_holder=create.settlement_holder.strip(),
                fee_bps=create.fee_bps,
                created_at=now,
            )
        )
        await ledger.open_account(session, payable_account(merchant_id), "liability", recording=True)
        await repo.add(
            PaymentsApiKey(
                prefix=key[:16], merchant_id=merchant_id, digest=secret_digest(key), created_at=now
            )
        )
    return merchant_id, key


async def authenticate(database: Database, authorization: str | None) -> str:
    """The merchant of ``Authorization: Bearer sk_…``."""
    key = (authorization or "").removeprefix("Bearer ").strip()
    if not key.startswith("sk_"):
        raise Unauthenticated("Authorization: Bearer <API 키>가 필요합니다")
    async with database.read_sessions() as session:
        stored = await PaymentsRepository(session).api_key(key[:16])
    if stored is None or stored.revoked_at is not None or not equals(stored.digest, secret_digest(key)):
        raise Unauthenticated("API 키가 올바르지 않거나 폐기되었습니다")
    return stored.merchant_id


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def idempotency_key(value: str | None) -> str:
    if not value:
        raise BadRequest("POST 요청에는 x-idempotency-key 헤더가 필요합니다", code="idempotency_key_missing")
    if len(value) > 40 or not value.isprintable():
        raise BadRequest("x-idempotency-key는 40자 이하의 문자열입니다", code="idempotency_key_invalid")
    return value


async def idempotent(
    database: Database,
    merchant_id: str,
    key: str,
    request: bytes,
    work: Callable[[AsyncSession], Awaitable[Answer]],
) -> Answer:
    """Run ``work`` once per ``(merchant, key)`` (see the module docstring)."""
    request_hash = hashlib.sha256(request).hexdigest()
    now = utcnow()
    async with database.unit_of_work() as session:
        ours, stored = await PaymentsRepository(session).claim_key(
            merchant_id, key, request_hash, now, now + KEY_LOCK, now - KEY_KEPT
        )
    if not ours:
        assert stored is not None
        if stored.request_hash != request_hash:
            raise KeyReused("이 x-idempotency-key는 다른 요청에 이미 쓰였습니다. 새 키로 보내세요")
        if stored.status_code is None:
            raise InProgress(
                "같은 x-idempotency-key의 요청을 처리하고 있습니다. 잠시 후 같은 키로 다시 보내세요"
            )
        return Answer(stored.status_code, json.loads(stored.body or "{}"), replayed=True)
    try:
        async with database.unit_of_work() as session:
            answer = await work(session)
            await PaymentsRepository(session).answer_key(
                merchant_id, key, answer.status_code, json.dumps(answer.body, ensure_ascii=False)
            )
        return answer
    except BaseException:
        async with database.unit_of_work() as session:  # nothing was done: the key is free again
            await PaymentsRepository(session).release_key(merchant_id, key)
        raise


def payment_body(payment: PaymentsPayment, base_url: str) -> dict[str, Any]:
    """A payment as the merchant API shows it (and its webhooks carry it)."""
    return {
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "reason": payment.reason,
        "fee": payment.fee,
        "refunded": payment.refunded,
        "checkout_url": f"{base_url}/pay/{payment.id}",
        "checkout_qr_url": f"{base_url}/pay/{payment.id}/qr.svg",
        "created_at": payment.created_at.isoformat(),
        "captured_at": payment.captured_at.isoformat() if payment.captured_at else None,
    }


def _payment_request(body: Any) -> tuple[str, int, list[dict[str, Any]]]:
    """Check a payment request: ``order_id``, ``amount`` in won, ``items`` adding up to it."""
    if not isinstance(body, dict):
        raise BadRequest("요청 본문은 JSON 객체입니다")
    order_id, amount, items = body.get("order_id"), body.get("amount"), body.get("items", [])
    if not isinstance(order_id, str) or not 1 <= len(order_id) <= 64:
        raise BadRequest("order_id는 1–64자 문자열입니다")
    if type(amount) is not int or not 1 <= amount <= 10_000_000_000:
        raise BadRequest("amount는 1원 이상 정수(원)입니다")
    if body.get("currency", "KRW") != "KRW":
        raise BadRequest("currency는 KRW만 받습니다")
    if not isinstance(items, list) or not all(
        isinstance(i, dict)
        and isinstance(i.get("name"), str)
        and type(i.get("quantity")) is int
        and type(i.get("amount")) is int
        and i["quantity"] > 0
        for i in items
    ):
        raise BadRequest("items는 {name, quantity, amount} 목록입니다")
    if items and sum(i["quantity"] * i["amount"] for i in items) != amount:
        raise BadRequest("items의 합계가 amount와 다릅니다")
    return (
        order_id,
        amount,
        [{"name": i["name"][:100], "quantity": i["quantity"], "amount": i["amount"]} for i in items],
    )


async def create_payment(session: AsyncSession, merchant_id: str, body: Any, base_url: str) -> Answer:
    """A payment request (status RCVD) the customer completes at its checkout page."""
    order_id, amount, items = _payment_request(body)
    repo = PaymentsRepository(session)
    if await repo.payment_by_order(merchant_id, order_id) is not None:
        raise BadRequest(f"주문 {order_id}의 결제 요청이 이미 있습니다", code="duplicate_order")
    now = utcnow()
    payment = PaymentsPayment(
        id=f"P{secrets.token_hex(10).upper()}",
        merchant_id=merchant_id,
        order_id=order_id,
        amount=amount,
        currency="KRW",
        items=json.dumps(items, ensure_ascii=False),
        status="RCVD",
        reason=None,
        created_at=now,
        updated_at=now,
    )
    await repo.add(payment)
    answer = Answer(201, payment_body(payment, base_url))
    await record(session, merchant_id, "payment.created", answer.body)
    return answer


async def payment_of(database: Database, merchant_id: str, payment_id: str, base_url: str) -> dict[str, Any]:
    """A payment with its refunds, as its merchant sees it."""
    async with database.read_sessions() as session:
        repo = PaymentsRepository(session)
        payment = await repo.payment(payment_id)
        if payment is None or payment.merchant_id != merchant_id:  # another merchant's is as unknown
            raise NotFound("결제를 찾을 수 없습니다")
        refunds = (await repo.refunds_of([payment_id])).get(payment_id, [])
    return payment_body(payment, base_url) | {
        "refunds": [
            {"refund_id": r.id, "amount": r.amount, "status": r.status, "reason": r.reason} for r in refunds
        ]
    }
