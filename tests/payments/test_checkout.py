"""Paying a network merchant from a bank account, end to end over HTTP: the merchant's request,
the customer's passkey approval bound to amount and payee, the withdrawal at the bank (once),
the ledger, refunds (never more than captured), settlement and reconciliation."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from samgak import ledger
from samgak.kit.http import Unreachable
from samgak.kit.timeutil import today_kst, utcnow
from samgak.payments import MerchantCreate, onboard, reconcile, resume, sealer_of, settle
from samgak.payments.bank_client import Deposit, Withdrawal
from samgak.payments.checkout import Payer, approve
from samgak.payments.completion import carry_out
from samgak.payments.instructions import new_order, write
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol
from tests.identity.test_signup import prove
from tests.mydata.test_linking import sign
from tests.payments.test_merchant_api import business_no

WOORI, KBANK = "WRBK000020", "KBNK000089"


def demand(alliance: Any, index: int, slug: str) -> tuple[Any, str]:
    person = alliance.person(index)
    spec = next(
        s
        for s in alliance.holdings(person)[slug]
        if s.kind == "deposit" and s.detail["saving_method"] == "01"
    )
    return person, spec.asset_key


class Customer:
    """A person at their browser: signed in at the alliance identity with a passkey."""

    def __init__(self, app: Any, person: Any, account: str, org_code: str) -> None:
        self.app, self.person, self.account, self.org_code = app, person, account, org_code
        self.browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
        self.authenticator = SoftAuthenticator()

    async def sign_up(self) -> None:
        assert (await prove(self.browser, self.person)).status_code == 303
        assert (await enrol(self.browser, self.authenticator)).status_code == 201

    async def receipt(self, amount: int, payee: str, reference: str) -> str:
        shown = {"amount": amount, "payee": payee, "reference": reference}
        started = (await self.browser.post("/id/step-up/options", json=shown)).json()
        credential = self.authenticator.get(started["options"])
        signed = await self.browser.post(
            "/id/step-up", json=shown | {"challenge_id": started["challenge_id"], "credential": credential}
        )
        assert signed.status_code == 200, signed.text
        return str(signed.json()["receipt"])

    async def pay(self, payment: dict[str, Any], payee: str, **choice: Any) -> httpx.Response:
        receipt = await self.receipt(payment["amount"], payee, payment["payment_id"])
        body = {"account": "other", "org_code": self.org_code, "account_num": self.account} | choice
        return await self.browser.post(
            f"/pay/{payment['payment_id']}/approve", json=body | {"receipt": receipt}
        )

    async def balance(self) -> int:
        return await self.app.state.payments.bank(self.org_code).holds(self.account, self.person.ci)


class Merchant:
    def __init__(self, client: httpx.AsyncClient, merchant_id: str, key: str, name: str) -> None:
        self.client, self.id, self.key, self.name = client, merchant_id, key, name

    @property
    def payee(self) -> str:
        return f"{self.name} ({self.id})"

    async def post(self, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}", "x-idempotency-key": key or uuid.uuid4().hex}
        return await self.client.post(f"/api/payments/v1{path}", json=body, headers=headers)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(
            f"/api/payments/v1{path}", headers={"Authorization": f"Bearer {self.key}"}
        )

    async def request_payment(self, amount: int) -> dict[str, Any]:
        created = await self.post(
            "/payments",
            {
                "order_id": uuid.uuid4().hex[:12],
                "amount": amount,
                "items": [{"name": "원두", "quantity": 1, "amount": amount}],
            },
        )
        assert created.status_code == 201, created.text
        return dict(created.json())


@pytest.fixture(scope="module")
async def shop(app: Any, client: httpx.AsyncClient, alliance: Any) -> tuple[Merchant, Any, str]:
    """A merchant settling to a real demand account at Woori Bank (its owner's)."""
    owner, account = demand(alliance, 39, "woori-bank")
    create = MerchantCreate("정산상회", business_no(), "5499", WOORI, account, owner.name, 250)
    merchant_id, key = await onboard(app.state.platform_db, sealer_of(app.state.settings), create)
    return Merchant(client, merchant_id, key, "정산상회"), owner, account


@pytest.fixture(scope="module")
async def payer(app: Any, alliance: Any) -> Customer:
    person, account = demand(alliance, 42, "woori-bank")
    customer = Customer(app, person, account, WOORI)
    await customer.sign_up()
    return customer


async def payable(app: Any, merchant_id: str) -> int:
    async with app.state.platform_db.read_sessions() as session:
        return await ledger.balance(session, f"payable:{merchant_id}")


async def test_pay_refund_settle_and_reconcile(app: Any, shop: Any, payer: Customer) -> None:
    merchant, owner, settlement_account = shop
    first, second = await merchant.request_payment(12_300), await merchant.request_payment(50_000)
    page = await payer.browser.get(f"/pay/{first['payment_id']}")
    assert page.status_code == 200 and "12,300원" in page.text and merchant.payee in page.text
    qr = await payer.browser.get(f"/pay/{first['payment_id']}/qr.svg")  # the same link, for a phone
    assert qr.headers["content-type"] == "image/svg+xml" and qr.text.startswith("<svg")
    assert first["checkout_qr_url"].endswith(f"/pay/{first['payment_id']}/qr.svg")
    before = await payer.balance()

    for payment in (first, second):
        paid = await payer.pay(payment, merchant.payee)
        assert paid.status_code == 200 and paid.json()["status"] == "ACSC", paid.text
    assert await payer.balance() == before - 62_300  # each debited once
    shown = (await merchant.get(f"/payments/{first['payment_id']}")).json()
    assert shown["status"] == "ACSC" and shown["fee"] == 307 and shown["captured_at"]
    events = (await merchant.get("/events")).json()["events"]
    assert {e["data"]["payment_id"] for e in events if e["type"] == "payment.succeeded"} >= {
        first["payment_id"],
        second["payment_id"],
    }
    assert await payable(app, merchant.id) == -(62_300 - 307 - 1_250)

    partial = await merchant.post(
        f"/payments/{first['payment_id']}/refunds", {"amount": 2_300, "reason": "부분 취소"}
    )
    assert partial.status_code == 201 and partial.json()["status"] == "ACSC", partial.text
    too_much = await merchant.post(f"/payments/{first['payment_id']}/refunds", {"amount": 10_001})
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "refund_exceeds_captured"
    rest = await merchant.post(f"/payments/{first['payment_id']}/refunds", {})  # what is left
    assert rest.status_code == 201 and rest.json()["amount"] == 10_000
    assert (await merchant.post(f"/payments/{first['payment_id']}/refunds", {"amount": 1})).status_code == 400
    assert await payer.balance() == before - 50_000
    history = await payer.browser.get("/pay/history")
    assert "정산상회" in history.text and "12,300원" in history.text

    owner_before = await app.state.payments.bank(WOORI).holds(settlement_account, owner.ci)
    assert await settle(app.state.platform_db, app.state.payments, today_kst()) >= 1
    statements = (await merchant.get("/settlements")).json()
    ours = statements[0]
    assert (ours["gross"], ours["fees"], ours["refunds"], ours["payout"], ours["status"]) == (
        62_300,
        1_557,
        12_300,
        48_443,
        "paid",
    )
    assert await app.state.payments.bank(WOORI).holds(settlement_account, owner.ci) == owner_before + 48_443
    assert await payable(app, merchant.id) == 0  # everything owed was paid out
    csv = await merchant.get(f"/settlements/{ours['settlement_id']}/statement.csv")
    assert csv.status_code == 200 and first["payment_id"] in csv.text and "48443" in csv.text

    report = await reconcile(app.state.platform_db, app.state.payments, today_kst())
    refunds = {partial.json()["refund_id"], rest.json()["refund_id"]}
    ours = {first["payment_id"], second["payment_id"], ours["settlement_id"], *refunds}
    assert not [line for line in report.lines if line[3] in ours], report.lines  # every one agrees
    assert report.checked >= 5
    async with app.state.platform_db.read_sessions() as session:
        assert (await ledger.reconcile(session)).ok


async def test_a_receipt_for_another_payment_or_amount_is_refused(
    app: Any, shop: Any, payer: Customer
) -> None:
    merchant = shop[0]
    one, other = await merchant.request_payment(1_000), await merchant.request_payment(2_000)
    receipt = await payer.receipt(one["amount"], merchant.payee, one["payment_id"])
    for target in (other, {**one, "payment_id": other["payment_id"]}):
        answer = await payer.browser.post(
            f"/pay/{target['payment_id']}/approve",
            json={"account": "other", "org_code": WOORI, "account_num": payer.account, "receipt": receipt},
        )
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "sca_mismatch"
    assert (await merchant.get(f"/payments/{other['payment_id']}")).json()["status"] == "RCVD"


async def test_an_entered_account_must_be_the_payers_and_hold_the_amount(
    app: Any, shop: Any, payer: Customer, alliance: Any
) -> None:
    merchant = shop[0]
    payment = await merchant.request_payment(3_000)
    _, strangers = demand(alliance, 39, "woori-bank")
    refused = await payer.pay(payment, merchant.payee, account_num=strangers)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "account_refused"
    rich = await merchant.request_payment(9_000_000_000)
    poor = await payer.pay(rich, merchant.payee)
    assert poor.status_code == 400 and poor.json()["error"]["code"] == "insufficient_funds"
    for unchanged in (payment, rich):
        assert (await merchant.get(f"/payments/{unchanged['payment_id']}")).json()["status"] == "RCVD"


async def test_a_bank_refusal_rejects_with_a_reason_and_takes_nothing(
    app: Any, shop: Any, payer: Customer
) -> None:
    merchant = shop[0]
    payment = await merchant.request_payment(await payer.balance() + 1)
    receipt = await payer.receipt(payment["amount"], merchant.payee, payment["payment_id"])
    person = payer.person
    instruction = await approve(  # a linked account is not checked first: the bank decides
        app.state.platform_db,
        app.state.payments,
        app.state.identity,
        Payer(subject_of(receipt), person.ci, person.name),
        payment["payment_id"],
        receipt=receipt,
        org_code=WOORI,
        account_num=payer.account,
        linked=True,
    )
    before = await payer.balance()
    assert (await carry_out(app.state.platform_db, app.state.payments, instruction)).bank_code == "A0003"
    shown = (await merchant.get(f"/payments/{payment['payment_id']}")).json()
    assert shown["status"] == "RJCT" and shown["reason"] == "잔액이 부족합니다"
    assert await payer.balance() == before


def subject_of(receipt: str) -> str:
    """The ``sub`` of a receipt (read, not verified: the platform verifies it)."""
    payload = receipt.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


async def test_cancelled_payments_cannot_be_approved_and_paid_ones_cannot_be_cancelled(
    shop: Any, payer: Customer
) -> None:
    merchant = shop[0]
    payment = await merchant.request_payment(1_500)
    cancelled = await payer.browser.post(f"/pay/{payment['payment_id']}/cancel")
    assert cancelled.status_code == 303
    assert (await merchant.get(f"/payments/{payment['payment_id']}")).json()["status"] == "CANC"
    assert (await payer.pay(payment, merchant.payee)).status_code == 409
    paid = await merchant.request_payment(1_600)
    assert (await payer.pay(paid, merchant.payee)).json()["status"] == "ACSC"
    again = await merchant.post(f"/payments/{paid['payment_id']}/cancel", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


async def test_concurrent_refunds_never_exceed_the_capture(shop: Any, payer: Customer) -> None:
    merchant = shop[0]
    payment = await merchant.request_payment(12_000)
    assert (await payer.pay(payment, merchant.payee)).json()["status"] == "ACSC"
    before = await payer.balance()
    answers = await asyncio.gather(
        *(merchant.post(f"/payments/{payment['payment_id']}/refunds", {"amount": 5_000}) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [201, 201, 400, 400, 400]
    assert await payer.balance() == before + 10_000
    key = uuid.uuid4().hex
    once = await merchant.post(f"/payments/{payment['payment_id']}/refunds", {"amount": 2_000}, key)
    replay = await merchant.post(f"/payments/{payment['payment_id']}/refunds", {"amount": 2_000}, key)
    assert once.status_code == replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["refund_id"] == once.json()["refund_id"]
    assert await payer.balance() == before + 12_000


class BankDown:
    """A bank that cannot be reached at all, until it comes back."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.down = inner, True

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.down and "/transfer/" in path:
            raise Unreachable("connection refused")
        return await self.inner.request(method, path, **kwargs)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_an_unknown_outcome_stays_pending_until_the_completer_learns_it(
    app: Any, shop: Any, payer: Customer
) -> None:
    merchant = shop[0]
    bank = app.state.payments.bank(WOORI)
    payment = await merchant.request_payment(4_321)
    before = await payer.balance()
    bank.http = down = BankDown(bank.http)
    try:
        answer = await payer.pay(payment, merchant.payee)
        assert answer.status_code == 200 and answer.json()["status"] == "ACSP"  # not guessed
        assert await resume(app.state.platform_db, app.state.payments, timedelta(0)) >= 1
        assert (await merchant.get(f"/payments/{payment['payment_id']}")).json()["status"] == "ACSP"
        down.down = False
        assert await resume(app.state.platform_db, app.state.payments, timedelta(0)) >= 1
    finally:
        bank.http = down.inner
    assert (await merchant.get(f"/payments/{payment['payment_id']}")).json()["status"] == "ACSC"
    assert await payer.balance() == before - 4_321
    assert await resume(app.state.platform_db, app.state.payments, timedelta(0)) == 0  # nothing left
    assert await payer.balance() == before - 4_321  # and nothing sent twice


async def test_reconciliation_flags_what_the_bank_and_we_disagree_on(app: Any, payer: Customer) -> None:
    bank = app.state.payments.bank(WOORI)
    order = new_order(
        Withdrawal,
        account_num=payer.account,
        client_ci=payer.person.ci,
        amount=777,
        print_content="대사 테스트",
        payee_name="삼각상회",
    )
    await bank.withdraw(order)  # done at the bank, never recorded by us
    unsent = new_order(
        Withdrawal,
        account_num=payer.account,
        client_ci=payer.person.ci,
        amount=888,
        print_content="대사 테스트",
        payee_name="삼각상회",
    )
    async with app.state.platform_db.unit_of_work() as session:  # recorded, never sent
        await write(session, app.state.payments.sealer, "P-never-sent", WOORI, unsent)
    report = await reconcile(app.state.platform_db, app.state.payments, today_kst())
    flagged = {line[1]: line[2] for line in report.lines}
    assert flagged[order.bank_tran_id] == "은행에만 있음"
    assert flagged[unsent.bank_tran_id] == "결과 미확정"
    assert not report.ok
    await bank.deposit(  # give the customer their 777원 back
        new_order(
            Deposit,
            account_num=payer.account,
            holder_name=payer.person.name,
            amount=777,
            print_content="대사 테스트",
            payer_name="삼각페이",
        )
    )


async def test_a_request_nobody_approves_in_time_is_cancelled(app: Any, shop: Any, payer: Customer) -> None:
    merchant = shop[0]
    stale, fresh = await merchant.request_payment(1_100), await merchant.request_payment(1_200)
    async with app.state.platform_db.unit_of_work() as session:
        await session.execute(
            text("UPDATE payments_payment SET created_at = :at WHERE id = :id"),
            {"at": utcnow() - timedelta(minutes=31), "id": stale["payment_id"]},
        )
    await resume(app.state.platform_db, app.state.payments, timedelta(seconds=30))
    expired = (await merchant.get(f"/payments/{stale['payment_id']}")).json()
    assert expired["status"] == "CANC" and expired["reason"] == "결제 시간이 지났습니다"
    assert (await merchant.get(f"/payments/{fresh['payment_id']}")).json()["status"] == "RCVD"
    events = (await merchant.get("/events")).json()["events"]
    assert any(
        e["type"] == "payment.canceled" and e["data"]["payment_id"] == stale["payment_id"] for e in events
    )
    assert (await payer.pay(stale, merchant.payee)).status_code == 409


async def test_an_account_linked_through_mydata_is_offered_and_paid_from(
    app: Any, shop: Any, alliance: Any
) -> None:
    person, account = demand(alliance, 25, "woori-bank")
    customer = Customer(app, person, account, WOORI)
    await customer.sign_up()
    asked = await customer.browser.post(
        "/mydata/link",
        data={"org": [WOORI], "purpose": "통합 자산관리", "scheduled": "true", "cycle": "1/w"},
    )
    assert asked.status_code == 303, asked.text
    linked = await sign(customer.browser, customer.authenticator, asked.headers["location"])
    assert linked.status_code == 200
    merchant = shop[0]
    payment = await merchant.request_payment(2_500)
    page = await customer.browser.get(f"/pay/{payment['payment_id']}")
    assert f"{account[:4]}-" in page.text or account[-4:] in page.text  # the linked account, masked
    assert account not in page.text  # never the whole number
    before = await customer.balance()
    paid = await customer.pay(payment, merchant.payee, account=0)
    assert paid.status_code == 200 and paid.json()["status"] == "ACSC", paid.text
    assert await customer.balance() == before - 2_500
    assert (
        await customer.pay(await merchant.request_payment(100), merchant.payee, account=7)
    ).status_code == 400


async def test_a_refused_payout_is_reversed_and_carried_into_the_next_run(
    app: Any, client: httpx.AsyncClient, alliance: Any, payer: Customer
) -> None:
    owner, account = demand(alliance, 39, "woori-bank")
    create = MerchantCreate("이름틀린상회", business_no(), "5499", WOORI, account, "다른사람", 0)
    merchant_id, key = await onboard(app.state.platform_db, sealer_of(app.state.settings), create)
    merchant = Merchant(client, merchant_id, key, "이름틀린상회")
    assert (await payer.pay(await merchant.request_payment(3_000), merchant.payee)).json()["status"] == "ACSC"
    database, service = app.state.platform_db, app.state.payments
    assert await settle(database, service, today_kst(), merchant_id) == 0  # the bank refuses the name
    refused = (await merchant.get("/settlements")).json()[0]
    assert (refused["payout"], refused["status"]) == (3_000, "failed")
    async with database.read_sessions() as session:
        assert await ledger.balance(session, f"settlement:{merchant_id}") == 0  # the run was reversed
    assert await payable(app, merchant_id) == -3_000  # still owed
    async with database.unit_of_work() as session:
        await session.execute(
            text("UPDATE payments_merchant SET settlement_holder = :name WHERE id = :id"),
            {"name": owner.name, "id": merchant_id},
        )
    assert await settle(database, service, today_kst() + timedelta(days=1), merchant_id) == 1
    paid = (await merchant.get("/settlements")).json()[0]
    assert (paid["carried_in"], paid["gross"], paid["payout"], paid["status"]) == (3_000, 0, 3_000, "paid")
    assert await payable(app, merchant_id) == 0


async def test_checkout_pages_say_what_went_wrong(
    app: Any, shop: Any, payer: Customer, alliance: Any
) -> None:
    missing = await payer.browser.get("/pay/PNOSUCHPAYMENT")
    assert missing.status_code == 404 and "가맹점에서 다시 결제를 시작하세요" in missing.text
    merchant = shop[0]
    paid = await merchant.request_payment(1_300)
    assert (await payer.pay(paid, merchant.payee)).json()["status"] == "ACSC"
    person, account = demand(alliance, 43, "k-bank")
    other = Customer(app, person, account, KBANK)
    await other.sign_up()
    foreign = await other.browser.get(f"/pay/{paid['payment_id']}")
    assert foreign.status_code == 403 and "다른 고객이 승인한 결제입니다" in foreign.text
    garbled = await payer.browser.post(
        f"/pay/{paid['payment_id']}/approve",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert garbled.status_code == 400 and garbled.json()["error"]["code"] == "invalid_request"
