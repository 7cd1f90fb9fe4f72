"""The merchant API's first promises: API keys, ``x-idempotency-key`` on every POST (≤ 40
characters; a replay returns the first answer; another body under the key is refused; a
concurrent duplicate gets a clear conflict; 1,000 concurrent submissions make one payment), and
errors in the API's own format that change nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from samgak.kit.crypto import Sealer, derive_key
from samgak.payments import MerchantCreate, PaymentsError, onboard, valid_business_no

BUSINESS_NUMBERS = iter(f"{i:09d}" for i in range(123450000, 123460000))


def business_no() -> str:
    """The next valid 사업자등록번호 (its check digit computed)."""
    for stem in BUSINESS_NUMBERS:
        for check in "0123456789":
            if valid_business_no(stem + check):
                return stem + check
    raise AssertionError


def headers(key: str, idempotency: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} | ({"x-idempotency-key": idempotency} if idempotency else {})


def order(amount: int = 12_000) -> dict[str, Any]:
    return {
        "order_id": uuid.uuid4().hex,
        "amount": amount,
        "items": [{"name": "커피", "quantity": 2, "amount": amount // 2}],
    }


def test_business_numbers_carry_their_check_digit() -> None:
    assert valid_business_no("1048137225") and valid_business_no("2208162517")
    assert not valid_business_no("1048137226") and not valid_business_no("104813722")


async def test_onboarding_refuses_a_wrong_business_number(app: Any) -> None:
    with pytest.raises(PaymentsError, match="사업자등록번호"):
        await onboard(
            app.state.platform_db,
            Sealer(derive_key("t", "p")),
            MerchantCreate("x", "1234567890", "5411", "WRBK000020", "1002123456789", "홍길동", 250),
        )


async def test_a_payment_request_is_created_once_and_replayed(
    client: httpx.AsyncClient, merchant: Any
) -> None:
    _, key = merchant
    body = order()
    first = await client.post("/api/payments/v1/payments", json=body, headers=headers(key, "k-1"))
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "RCVD" and first.json()["amount"] == 12_000
    again = await client.post("/api/payments/v1/payments", json=body, headers=headers(key, "k-1"))
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post("/api/payments/v1/payments", json=order(), headers=headers(key, "k-1"))
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    read = await client.get(f"/api/payments/v1/payments/{first.json()['payment_id']}", headers=headers(key))
    assert read.status_code == 200 and read.json()["order_id"] == body["order_id"]


@pytest.mark.parametrize(
    "idempotency, code",
    [(None, "idempotency_key_missing"), ("x" * 41, "idempotency_key_invalid")],
)
async def test_posts_need_a_short_idempotency_key(
    client: httpx.AsyncClient, merchant: Any, idempotency: str | None, code: str
) -> None:
    answer = await client.post(
        "/api/payments/v1/payments", json=order(), headers=headers(merchant[1], idempotency)
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == code


async def test_bad_input_is_refused_in_the_api_format_and_saves_nothing(
    client: httpx.AsyncClient, merchant: Any
) -> None:
    _, key = merchant
    bad = order() | {"amount": 12_001}  # items add up to 12,000
    refused = await client.post("/api/payments/v1/payments", json=bad, headers=headers(key, "k-bad"))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_request"
    fixed = await client.post("/api/payments/v1/payments", json=order(), headers=headers(key, "k-bad"))
    assert fixed.status_code == 201  # the key was not spent by the refused request
    for wrong in ("Bearer sk_nope", "", "Basic abc"):
        answer = await client.post(
            "/api/payments/v1/payments",
            json=order(),
            headers={"Authorization": wrong, "x-idempotency-key": "k"},
        )
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"


async def test_another_merchants_payment_is_not_found(
    client: httpx.AsyncClient, merchant: Any, app: Any
) -> None:
    created = await client.post(
        "/api/payments/v1/payments", json=order(), headers=headers(merchant[1], "k-own")
    )
    sealer = Sealer(derive_key("test", "payments/accounts"))
    _, other_key = await onboard(
        app.state.platform_db,
        sealer,
        MerchantCreate("남의가게", business_no(), "5812", "KBNK000089", "100012345678", "김철수", 300),
    )
    answer = await client.get(
        f"/api/payments/v1/payments/{created.json()['payment_id']}", headers=headers(other_key)
    )
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


async def test_a_thousand_concurrent_submissions_with_one_key_make_one_payment(
    client: httpx.AsyncClient, merchant: Any, app: Any
) -> None:
    merchant_id, key = merchant
    body = order(50_000)
    answers = await asyncio.gather(
        *(
            client.post("/api/payments/v1/payments", json=body, headers=headers(key, "k-storm"))
            for _ in range(1000)
        )
    )
    codes = {a.status_code for a in answers}
    assert codes <= {201, 409}, codes  # the first, its replays, or "in progress: retry with the key"
    created = {a.json()["payment_id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    async with app.state.platform_db.read_sessions() as session:
        count = (
            await session.execute(
                text("SELECT count(*) FROM payments_payment WHERE merchant_id = :m AND order_id = :o"),
                {"m": merchant_id, "o": body["order_id"]},
            )
        ).scalar_one()
    assert count == 1
