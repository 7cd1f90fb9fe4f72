"""Transfer API (오픈뱅킹 style) at a bank: idempotency, refusals that change nothing, 은행-004."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import CUSTOMERS, Operator, tran_id

BANK = ("woori-bank", "WRBK000020")
BASE = f"/inst/{BANK[0]}"


def demand_account(alliance: Any, start: int, *, skip: tuple[int, ...] = ()) -> tuple[Any, Any]:
    """The first person from ``start`` with a demand deposit (수시입출식) at the bank."""
    for index in range(start, CUSTOMERS):
        if index in skip:
            continue
        person = alliance.person(index)
        for spec in alliance.holdings(person).get(BANK[0], []):
            if spec.kind == "deposit" and spec.detail["saving_method"] == "01":
                return person, spec
    raise LookupError("nobody holds a demand deposit")


def new_id() -> str:
    return "SGK" + uuid.uuid4().hex[:17].upper()


async def service_token(client: httpx.AsyncClient, operator: Operator, scope: str = "transfer") -> str:
    response = await client.post(
        f"{BASE}/oauth/2.0/token",
        data={
            "org_code": BANK[1],
            "grant_type": "client_credentials",
            "client_id": operator.client_id,
            "client_secret": operator.secret,
            "scope": scope,
        },
        headers={"x-api-tran-id": tran_id()},
    )
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()
    return str(response.json()["access_token"])


class Bank:
    """The transfer API as a payment platform calls it."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.token = client, token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "x-api-tran-id": tran_id(), **extra}

    async def withdraw(
        self, person: Any, account: str, amount: Any, bank_tran_id: str, **fields: Any
    ) -> httpx.Response:
        body = {
            "bank_tran_id": bank_tran_id,
            "account_num": account,
            "req_client_ci": person.ci,
            "tran_amt": amount,
            "print_content": "삼각페이",
            "recv_client_name": "삼각상점",
            **fields,
        }
        return await self.client.post(f"{BASE}/v2.0/transfer/withdraw", json=body, headers=self.headers())

    async def deposit(
        self, person: Any, account: str, amount: Any, bank_tran_id: str, **fields: Any
    ) -> httpx.Response:
        body = {
            "bank_tran_id": bank_tran_id,
            "recv_account_num": account,
            "recv_client_name": person.name,
            "tran_amt": amount,
            "print_content": "삼각환불",
            "req_client_name": "삼각상점",
            **fields,
        }
        return await self.client.post(f"{BASE}/v2.0/transfer/deposit", json=body, headers=self.headers())

    async def balance(self, person: Any, account: str) -> int:
        response = await self.client.get(
            f"{BASE}/v2.0/account/balance",
            params={"account_num": account},
            headers=self.headers(**{"x-user-ci": person.ci}),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rsp_code"] == "A0000"
        return int(body["balance_amt"])

    async def result(self, bank_tran_id: str, bank_tran_date: str) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/v2.0/transfer/result",
            json={"bank_tran_id": bank_tran_id, "bank_tran_date": bank_tran_date},
            headers=self.headers(),
        )


@pytest.fixture(scope="module")
async def bank(client: httpx.AsyncClient, operator: Operator) -> Bank:
    return Bank(client, await service_token(client, operator))


@pytest.fixture(scope="module")
async def payer(bank: Bank, alliance: Any) -> tuple[Any, str]:
    """A customer (not the one other bank tests read) whose account holds at least 1,000,000원."""
    person, spec = demand_account(alliance, 30)
    response = await bank.deposit(person, spec.asset_key, 1_000_000, new_id())
    assert response.status_code == 200, response.text
    return person, spec.asset_key


async def test_withdraw_answers_in_kftc_shape(bank: Bank, payer: Any) -> None:
    person, account = payer
    before = await bank.balance(person, account)
    response = await bank.withdraw(person, account, "1500", new_id())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rsp_code"] == "A0000" and body["rsp_msg"] == "처리 성공" and body["bank_rsp_code"] == "000"
    assert all(isinstance(v, str) for v in body.values())
    assert len(body["api_tran_dtm"]) == 17 and body["api_tran_dtm"].isdigit()
    assert len(body["bank_tran_date"]) == 8
    assert body["account_num_masked"] == account[:-3] + "***"
    assert body["tran_amt"] == "1500"
    assert int(body["balance_amt"]) == before - 1500 == await bank.balance(person, account)


async def test_replay_returns_original_response_and_posts_once(bank: Bank, payer: Any) -> None:
    person, account = payer
    before = await bank.balance(person, account)
    key = new_id()
    first = await bank.withdraw(person, account, 1000, key)
    assert first.status_code == 200, first.text
    between = await bank.deposit(person, account, 7, new_id())  # the balance moves on meanwhile
    assert between.status_code == 200, between.text
    again = await bank.withdraw(person, account, "1000", key)  # the same transfer, amount as a string
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert int(again.json()["balance_amt"]) == before - 1000
    assert await bank.balance(person, account) == before - 1000 + 7

    result = await bank.result(key, first.json()["bank_tran_date"])
    assert result.status_code == 200, result.text
    assert result.json() | {"api_tran_id": "", "api_tran_dtm": ""} == {
        "rsp_code": "A0000",
        "rsp_msg": "처리 성공",
        "api_tran_id": "",
        "api_tran_dtm": "",
        "bank_tran_id": key,
        "bank_tran_date": first.json()["bank_tran_date"],
        "bank_rsp_code": "000",
        "direction": "withdraw",
        "account_num_masked": account[:-3] + "***",
        "tran_amt": "1000",
        "balance_amt": str(before - 1000),
        "status": "SUCCESS",
    }


async def test_concurrent_duplicates_post_once(bank: Bank, payer: Any) -> None:
    person, account = payer
    before = await bank.balance(person, account)
    key = new_id()
    responses = await asyncio.gather(*(bank.withdraw(person, account, 300, key) for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert await bank.balance(person, account) == before - 300


async def test_same_id_different_transfer_is_refused_and_changes_nothing(bank: Bank, payer: Any) -> None:
    person, account = payer
    key = new_id()
    first = await bank.withdraw(person, account, 1000, key)
    assert first.status_code == 200, first.text
    before = await bank.balance(person, account)
    for changed in ({"tran_amt": 2000}, {"print_content": "다른 내용"}, {"recv_client_name": "다른상점"}):
        fields: dict[str, Any] = {"tran_amt": 1000, **changed}
        response = await bank.withdraw(person, account, fields.pop("tran_amt"), key, **fields)
        assert response.status_code == 409, response.text
        assert response.json() == {
            "rsp_code": "A0009",
            "rsp_msg": "같은 거래고유번호로 다른 거래를 요청했습니다",
        }
    deposit_same_id = await bank.deposit(person, account, 1000, key)
    assert deposit_same_id.json()["rsp_code"] == "A0009"
    assert await bank.balance(person, account) == before
    result = await bank.result(key, first.json()["bank_tran_date"])
    assert result.json()["tran_amt"] == "1000"


async def test_over_balance_is_refused_and_changes_nothing(bank: Bank, payer: Any) -> None:
    person, account = payer
    before = await bank.balance(person, account)
    key = new_id()
    response = await bank.withdraw(person, account, before + 1, key)
    assert response.status_code == 422, response.text
    assert response.json() == {"rsp_code": "A0003", "rsp_msg": "잔액이 부족합니다"}
    assert await bank.balance(person, account) == before
    unknown = await bank.result(key, response.json().get("bank_tran_date", _today()))
    assert unknown.status_code == 404 and unknown.json()["rsp_code"] == "40402"
    # nothing was recorded under the key: the same id may be used once the funds are there
    retry = await bank.withdraw(person, account, before, key)
    assert retry.status_code == 200, retry.text
    assert retry.json()["balance_amt"] == "0"
    refill = await bank.deposit(person, account, 1_000_000, new_id())
    assert refill.status_code == 200, refill.text


async def test_transfer_shows_in_deposit_transactions(
    client: httpx.AsyncClient, bank: Bank, operator: Operator, alliance: Any
) -> None:
    person, spec = demand_account(alliance, 45)
    account = spec.asset_key
    deposited = await bank.deposit(person, account, 50_000, new_id(), print_content="환불 삼각상점")
    assert deposited.status_code == 200, deposited.text
    withdrawn = await bank.withdraw(person, account, 12_345, new_id(), print_content="삼각페이 결제")
    assert withdrawn.status_code == 200, withdrawn.text
    tokens = await operator.link(BANK[0], BANK[1], person)
    response = await client.post(
        f"{BASE}/v1/bank/accounts/deposit/transactions",
        json={
            "org_code": BANK[1],
            "account_num": account,
            "from_date": _today(),
            "to_date": _today(),
            "limit": 500,
        },
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "x-api-tran-id": tran_id(),
            "x-api-type": "user-search",
        },
    )
    assert response.status_code == 200, response.text
    transfers = [t for t in response.json()["trans_list"] if t["trans_class"] == "이체"]
    assert {(t["trans_type"], t["trans_amt"], t["trans_memo"]) for t in transfers} >= {
        ("04", "50000", "환불 삼각상점"),
        ("03", "12345", "삼각페이 결제"),
    }
    last = next(t for t in transfers if t["trans_memo"] == "삼각페이 결제")
    assert last["balance_amt"] == withdrawn.json()["balance_amt"]


async def test_deposit_checks_the_holder_name(bank: Bank, alliance: Any) -> None:
    person, spec = demand_account(alliance, 45)
    before = await bank.balance(person, spec.asset_key)
    wrong = await bank.deposit(person, spec.asset_key, 10_000, new_id(), recv_client_name="홍길동아님")
    assert wrong.status_code == 400 and wrong.json()["rsp_code"] == "40001"
    right = await bank.deposit(person, spec.asset_key, 10_000, new_id(), recv_client_name=f" {person.name} ")
    assert right.status_code == 200, right.text
    assert int(right.json()["balance_amt"]) == before + 10_000


@pytest.mark.parametrize("amount", [0, -5, "12.5", 12.5, True, "1,000", None, "", "1" * 13])
async def test_bad_amount_is_40001(bank: Bank, payer: Any, amount: Any) -> None:
    person, account = payer
    response = await bank.withdraw(person, account, amount, new_id())
    assert response.status_code == 400, response.text
    assert response.json()["rsp_code"] == "40001"


@pytest.mark.parametrize(
    "fields",
    [
        {"bank_tran_id": "X" * 21},
        {"bank_tran_id": "ABC-123"},
        {"tran_dtime": "2020010112000"},
        {"tran_dtime": "20200101120000"},
        {"print_content": "가" * 21},
        {"recv_client_name": ""},
        {"req_client_ci": None},
    ],
)
async def test_bad_fields_are_40001(bank: Bank, payer: Any, fields: dict[str, Any]) -> None:
    person, account = payer
    fields = dict(fields)
    bank_tran_id = fields.pop("bank_tran_id", new_id())
    response = await bank.withdraw(person, account, 100, bank_tran_id, **fields)
    assert response.status_code == 400, response.text
    assert response.json()["rsp_code"] == "40001"


async def test_tran_dtime_sets_the_business_day(bank: Bank, payer: Any) -> None:
    from datetime import datetime, timedelta

    from samgak.kit.timeutil import KST

    person, account = payer
    moment = datetime.now(KST) - timedelta(hours=1)
    response = await bank.withdraw(person, account, 100, new_id(), tran_dtime=f"{moment:%Y%m%d%H%M%S}")
    assert response.status_code == 200, response.text
    assert response.json()["bank_tran_date"] == f"{moment:%Y%m%d}"


async def test_account_refusals(bank: Bank, payer: Any, alliance: Any) -> None:
    person, account = payer
    other, _ = demand_account(alliance, 30, skip=(person.index,))
    not_his = await bank.withdraw(other, account, 100, new_id())
    assert not_his.status_code == 401 and not_his.json()["rsp_code"] == "40105"
    unknown = await bank.withdraw(person, "9999000000000", 100, new_id())
    assert unknown.status_code == 404 and unknown.json()["rsp_code"] == "40402"
    balance_of_other = await bank.client.get(
        f"{BASE}/v2.0/account/balance",
        params={"account_num": account},
        headers=bank.headers(**{"x-user-ci": other.ci}),
    )
    assert balance_of_other.json()["rsp_code"] == "40105"
    no_ci = await bank.client.get(
        f"{BASE}/v2.0/account/balance", params={"account_num": account}, headers=bank.headers()
    )
    assert no_ci.status_code == 400 and no_ci.json()["rsp_code"] == "40002"
    missing = await bank.result(new_id(), _today())
    assert missing.status_code == 404 and missing.json()["rsp_code"] == "40402"


async def test_authorisation(client: httpx.AsyncClient, operator: Operator, bank: Bank, payer: Any) -> None:
    person, _ = payer
    path = f"{BASE}/v2.0/transfer/result"
    body = {"bank_tran_id": new_id(), "bank_tran_date": _today()}
    no_tran_id = await client.post(path, json=body, headers={"Authorization": f"Bearer {bank.token}"})
    assert no_tran_id.status_code == 400 and no_tran_id.json()["rsp_code"] == "40002"
    no_token = await client.post(path, json=body, headers={"x-api-tran-id": tran_id()})
    assert no_token.status_code == 401 and no_token.json()["rsp_code"] == "40101"
    forged = await client.post(
        path, json=body, headers={"Authorization": "Bearer abc.def.ghi", "x-api-tran-id": tran_id()}
    )
    assert forged.json()["rsp_code"] == "40101"

    mydata = await operator.link(BANK[0], BANK[1], person)
    no_scope = await client.post(
        path,
        json=body,
        headers={"Authorization": f"Bearer {mydata['access_token']}", "x-api-tran-id": tran_id()},
    )
    assert no_scope.status_code == 401 and no_scope.json()["rsp_code"] == "40104"

    token = await service_token(client, operator)
    revoked = await client.post(
        f"{BASE}/oauth/2.0/revoke",
        data={
            "org_code": BANK[1],
            "client_id": operator.client_id,
            "client_secret": operator.secret,
            "token": token,
        },
        headers={"x-api-tran-id": tran_id()},
    )
    assert revoked.json()["rsp_code"] == "00000", revoked.text
    after = await client.post(
        path, json=body, headers={"Authorization": f"Bearer {token}", "x-api-tran-id": tran_id()}
    )
    assert after.status_code == 401 and after.json()["rsp_code"] == "40103"


async def test_transfer_api_is_bank_only(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/inst/kt/v2.0/transfer/result", json={}, headers={"x-api-tran-id": tran_id()}
    )
    assert response.status_code == 404 and response.json()["rsp_code"] == "40401"


def _today() -> str:
    from samgak.kit.timeutil import format_date, today_kst

    return format_date(today_kst())


# --------------------------------------------------------------------------- 거래내역 대사

LISTED = (38, 41)  # demand-account holders no other test uses


async def transfer_list(bank: Bank, bank_tran_date: Any, next_key: Any = None) -> httpx.Response:
    body = {"bank_tran_date": bank_tran_date} | ({} if next_key is None else {"next_key": next_key})
    return await bank.client.post(f"{BASE}/v2.0/transfer/list", json=body, headers=bank.headers())


async def listed(bank: Bank, bank_tran_date: str) -> list[dict[str, str]]:
    """Every transfer of the day, page after page."""
    lines: list[dict[str, str]] = []
    next_key = None
    for _ in range(100):
        response = await transfer_list(bank, bank_tran_date, next_key)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rsp_code"] == "A0000" and body["bank_tran_date"] == bank_tran_date
        assert body["res_cnt"] == str(len(body["res_list"]))
        lines += body["res_list"]
        if not body["next_key"]:
            return lines
        next_key = body["next_key"]
    raise AssertionError("next_key never ran out")


def listed_holder(alliance: Any, index: int) -> tuple[Any, str]:
    person, spec = demand_account(alliance, index)
    assert person.index == index, "the seed changed: pick another holder nobody else uses"
    return person, spec.asset_key


@pytest.fixture(scope="module")
async def other_bank(app: Any, client: httpx.AsyncClient) -> Bank:
    """A second registered service calling the same bank."""
    from samgak import directory
    from samgak.directory.schemas import ServiceCreate

    redirect = "https://other.samgak.test/callback"
    async with app.state.platform_db.unit_of_work() as session:
        service, secret = await directory.register_service(
            session,
            ServiceCreate(
                org_code=directory.OPERATOR_ORG_CODE,
                service_name="삼각 이체 대사 테스트 (다른 서비스)",
                redirect_uris=[redirect],
                scope="transfer",
            ),
        )
    other = Operator(client, service.client_id, secret, redirect, directory.OPERATOR_ORG_CODE)
    return Bank(client, await service_token(client, other))


async def test_transfer_list_reconciles_the_days_transfers(bank: Bank, alliance: Any) -> None:
    person, account = listed_holder(alliance, LISTED[0])
    deposit_key, withdraw_key = new_id(), new_id()
    deposited = await bank.deposit(person, account, 20_000, deposit_key)
    assert deposited.status_code == 200, deposited.text
    withdrawn = await bank.withdraw(person, account, "7000", withdraw_key)
    assert withdrawn.status_code == 200, withdrawn.text
    day = deposited.json()["bank_tran_date"]

    response = await transfer_list(bank, day)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: v for k, v in body.items() if k != "res_list"} | {"api_tran_id": "", "api_tran_dtm": ""} == {
        "rsp_code": "A0000",
        "rsp_msg": "처리 성공",
        "api_tran_id": "",
        "api_tran_dtm": "",
        "bank_tran_date": day,
        "res_cnt": str(len(body["res_list"])),
        "next_key": "",  # everything of the day fits in one page
    }
    assert len(body["api_tran_dtm"]) == 17 and body["api_tran_dtm"].isdigit() and body["api_tran_id"]
    assert all(isinstance(v, str) for line in body["res_list"] for v in line.values())
    ours = [line for line in body["res_list"] if line["bank_tran_id"] in (deposit_key, withdraw_key)]
    masked = account[:-3] + "***"
    assert [{k: v for k, v in line.items() if k != "tran_dtime"} for line in ours] == [
        {
            "bank_tran_id": deposit_key,
            "direction": "deposit",
            "tran_amt": "20000",
            "account_num_masked": masked,
        },
        {
            "bank_tran_id": withdraw_key,
            "direction": "withdraw",
            "tran_amt": "7000",
            "account_num_masked": masked,
        },
    ]
    assert all(len(line["tran_dtime"]) == 14 and line["tran_dtime"].startswith(day) for line in ours)


async def test_transfer_list_shows_only_the_callers_transfers(
    bank: Bank, other_bank: Bank, alliance: Any
) -> None:
    person, account = listed_holder(alliance, LISTED[1])
    mine = await bank.deposit(person, account, 3_000, new_id())
    assert mine.status_code == 200, mine.text
    theirs_key = new_id()
    theirs = await other_bank.deposit(person, account, 5_000, theirs_key)
    assert theirs.status_code == 200, theirs.text
    day = theirs.json()["bank_tran_date"]

    assert [line["bank_tran_id"] for line in await listed(other_bank, day)] == [theirs_key]
    own = {line["bank_tran_id"] for line in await listed(bank, day)}
    assert mine.json()["bank_tran_id"] in own and theirs_key not in own

    other_day = await transfer_list(bank, "20000101")
    assert other_day.status_code == 200, other_day.text
    assert (other_day.json()["res_cnt"], other_day.json()["res_list"], other_day.json()["next_key"]) == (
        "0",
        [],
        "",
    )


async def test_transfer_list_pages_by_next_key(
    bank: Bank, alliance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from samgak.institution.transfer import service

    person, account = listed_holder(alliance, LISTED[0])
    for amount in (101, 102, 103):
        response = await bank.deposit(person, account, amount, new_id())
        assert response.status_code == 200, response.text
    day = _today()
    whole = await transfer_list(bank, day)
    assert whole.status_code == 200 and whole.json()["next_key"] == "", whole.text
    everything = whole.json()["res_list"]
    assert len(everything) >= 3

    monkeypatch.setattr(service, "LIST_PAGE_SIZE", 2)
    pages: list[list[dict[str, str]]] = []
    next_key = None
    while True:
        response = await transfer_list(bank, day, next_key)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["res_cnt"] == str(len(body["res_list"])) and len(body["res_list"]) <= 2
        pages.append(body["res_list"])
        if not body["next_key"]:
            break
        assert body["next_key"].isdigit()
        next_key = body["next_key"]
    assert len(pages) == (len(everything) + 1) // 2
    assert [line for page in pages for line in page] == everything


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"bank_tran_date": "2024-01-01"},
        {"bank_tran_date": "20241341"},
        {"bank_tran_date": True},
        {"bank_tran_date": "20240101", "next_key": "abc"},
        {"bank_tran_date": "20240101", "next_key": "-1"},
        {"bank_tran_date": "20240101", "next_key": 1.5},
        {"bank_tran_date": "20240101", "next_key": True},
        {"bank_tran_date": "20240101", "next_key": "1" * 19},
    ],
)
async def test_transfer_list_bad_fields_are_40001(bank: Bank, body: dict[str, Any]) -> None:
    response = await bank.client.post(f"{BASE}/v2.0/transfer/list", json=body, headers=bank.headers())
    assert response.status_code == 400, response.text
    assert response.json()["rsp_code"] == "40001"


async def test_transfer_list_needs_the_transfer_scope(
    client: httpx.AsyncClient, operator: Operator, alliance: Any
) -> None:
    path = f"{BASE}/v2.0/transfer/list"
    body = {"bank_tran_date": _today()}
    no_token = await client.post(path, json=body, headers={"x-api-tran-id": tran_id()})
    assert no_token.status_code == 401 and no_token.json()["rsp_code"] == "40101"
    person, _ = listed_holder(alliance, LISTED[1])
    mydata = await operator.link(BANK[0], BANK[1], person)
    no_scope = await client.post(
        path,
        json=body,
        headers={"Authorization": f"Bearer {mydata['access_token']}", "x-api-tran-id": tran_id()},
    )
    assert no_scope.status_code == 401 and no_scope.json()["rsp_code"] == "40104"
