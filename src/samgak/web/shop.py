"""The demo's network merchant: 삼각상회, a small shop on BC Card's network that takes 삼각페이.

It behaves as a merchant's own web site would: its server holds its API key and calls the
public merchant API over HTTP — create a payment request under an idempotency key (the order
number), send the customer to the checkout page, and read the payment's status when they come
back. Orders live in memory (the demo's shop keeps no database).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import APIRouter, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from samgak.kit.money import format_won

router = APIRouter(prefix="/shop", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(won=format_won)
PRODUCTS = {
    "coffee": ("아메리카노 원두 200g", 12_900),
    "tea": ("제주 녹차 티백 20입", 8_500),
    "mug": ("삼각 머그컵", 15_000),
    "cookie": ("버터 쿠키 선물세트", 23_400),
}


@dataclass
class Shop:
    client: httpx.AsyncClient
    base_url: str
    api_key: str = ""  # set from the seed's var/demo-merchant.json
    orders: dict[str, str] = field(default_factory=dict)  # order number → payment id

    async def call(
        self, method: str, path: str, *, json: object = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.request(
            method,
            f"{self.base_url}/api/payments/v1{path}",
            json=json,
            headers={"Authorization": f"Bearer {self.api_key}"} | (headers or {}),
        )


def _shop(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


@router.get("")
async def shop_page(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "shop.html", {"products": PRODUCTS, "ready": bool(_shop(request).api_key), "order": None}
    )


@router.post("/order")
async def order(request: Request) -> Response:
    shop = _shop(request)
    form = await request.form()
    items: list[dict[str, int | str]] = []
    total = 0
    for code, (name, price) in PRODUCTS.items():
        text = str(form.get(code) or "0").strip()
        quantity = int(text) if text.isdigit() else 0
        if quantity > 0:
            items.append({"name": name, "quantity": min(quantity, 99), "amount": price})
            total += min(quantity, 99) * price
    if not items:
        return RedirectResponse("/shop", 303)
    number = f"SHOP-{secrets.token_hex(4).upper()}"
    try:
        answer = await shop.call(
            "POST",
            "/payments",
            json={"order_id": number, "amount": total, "items": items},
            headers={"x-idempotency-key": number},
        )
        error = (
            None if answer.status_code == 201 else answer.json().get("error", {}).get("message", answer.text)
        )
    except (httpx.HTTPError, ValueError) as failed:
        error = f"결제 서비스에 연결할 수 없습니다 ({type(failed).__name__}). 잠시 후 다시 주문하세요"
    if error is not None:
        return templates.TemplateResponse(
            request,
            "shop.html",
            {"products": PRODUCTS, "ready": True, "order": None, "error": error},
            status_code=502,
        )
    payment = answer.json()
    shop.orders[number] = payment["payment_id"]
    return RedirectResponse(payment["checkout_url"], 303)


@router.get("/orders")
async def orders(request: Request) -> Response:
    shop = _shop(request)
    found = []
    for number, payment_id in reversed(list(shop.orders.items())):
        try:
            answer = await shop.call("GET", f"/payments/{payment_id}")
        except httpx.HTTPError:
            continue  # the payment service is away: the order shows again later
        if answer.status_code == 200:
            found.append((number, answer.json()))
    return templates.TemplateResponse(request, "shop_orders.html", {"orders": found})
