"""The payment platform's client of a member bank's transfer API (KFTC 오픈뱅킹 style, ``/v2.0``).

Client-credentials token (scope ``transfer``), 출금이체, 입금이체, 이체결과조회, 잔액조회 (to check
an entered account is the payer's) and the day's transfer list (대사). Outcomes are typed: the
bank's answer, a refusal (:class:`BankRefused`, its code), or no answer at all
(:class:`BankUnknown`: the withdrawal may or may not have happened — ask, never guess).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from samgak.kit.http import Sender, Unreachable

PLATFORM_ORG = "SAMGAKPY01"  # the payment platform's institution code in bank_tran_id


def new_bank_tran_id() -> str:
    """KFTC style: the institution code, ``U``, nine characters unique within the day (AN(20))."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return PLATFORM_ORG + "U" + "".join(secrets.choice(alphabet) for _ in range(9))


class BankRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code, self.message = code, message


class BankUnknown(Exception):
    """No answer (connection lost, timeout, 5xx): the outcome is not known."""


@dataclass(frozen=True, slots=True)
class Withdrawal:
    bank_tran_id: str
    tran_dtime: str  # YYYYMMDDhhmmss (KST) when the order was written: its business day at the bank
    account_num: str
    client_ci: str
    amount: int
    print_content: str
    payee_name: str


@dataclass(frozen=True, slots=True)
class Deposit:
    bank_tran_id: str
    tran_dtime: str
    account_num: str
    holder_name: str  # 예금주: the bank refuses another name
    amount: int
    print_content: str
    payer_name: str


@dataclass(frozen=True, slots=True)
class BankTransfer:
    """One line of the bank's list of our transfers of a day."""

    bank_tran_id: str
    direction: str
    amount: int


class BankClient:
    def __init__(self, http: Sender, *, org_code: str, client_id: str, client_secret: str) -> None:
        self.http, self.org_code = http, org_code
        self.client_id, self.client_secret = client_id, client_secret
        self._token: tuple[str, float] | None = None

    async def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = await self.http.request(method, path, **kwargs)
        except Unreachable as lost:
            raise BankUnknown(str(lost)) from lost
        if answer.status >= 500:
            raise BankUnknown(f"{answer.status} from the bank")
        body = answer.json()
        code = str(body.get("rsp_code") or body.get("error") or answer.status)
        if answer.status != 200 or body.get("rsp_code", "A0000") != "A0000":  # OAuth bodies carry none
            raise BankRefused(code, str(body.get("rsp_msg") or body.get("error_description") or "refused"))
        return body

    async def _headers(self) -> dict[str, str]:
        if self._token is None or self._token[1] < time.monotonic():
            body = await self._send(
                "POST",
                "/oauth/2.0/token",
                headers={"x-api-tran-id": self._tran_id()},
                form={
                    "org_code": self.org_code,
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": "transfer",
                },
            )
            self._token = (
                str(body["access_token"]),
                time.monotonic() + min(int(body["expires_in"]), 3600) - 60,
            )
        return {"Authorization": f"Bearer {self._token[0]}", "x-api-tran-id": self._tran_id()}

    def _tran_id(self) -> str:
        return f"{PLATFORM_ORG}P{secrets.token_hex(7).upper()}"

    async def withdraw(self, order: Withdrawal) -> dict[str, Any]:
        """출금이체 (idempotent at the bank per ``bank_tran_id`` and day)."""
        return await self._send(
            "POST",
            "/v2.0/transfer/withdraw",
            headers=await self._headers(),
            json={
                "bank_tran_id": order.bank_tran_id,
                "tran_dtime": order.tran_dtime,
                "account_num": order.account_num,
                "req_client_ci": order.client_ci,
                "tran_amt": str(order.amount),
                "print_content": order.print_content,
                "recv_client_name": order.payee_name,
            },
        )

    async def deposit(self, order: Deposit) -> dict[str, Any]:
        """입금이체 (idempotent at the bank per ``bank_tran_id`` and day)."""
        return await self._send(
            "POST",
            "/v2.0/transfer/deposit",
            headers=await self._headers(),
            json={
                "bank_tran_id": order.bank_tran_id,
                "tran_dtime": order.tran_dtime,
                "recv_account_num": order.account_num,
                "recv_client_name": order.holder_name,
                "tran_amt": str(order.amount),
                "print_content": order.print_content,
                "req_client_name": order.payer_name,
            },
        )

    async def holds(self, account_num: str, client_ci: str) -> int:
        """잔액조회: what the person with ``client_ci`` may withdraw from ``account_num`` —
        :class:`BankRefused` when the account is not theirs or does not exist."""
        body = await self._send(
            "GET",
            "/v2.0/account/balance",
            headers=await self._headers() | {"x-user-ci": client_ci},
            params={"account_num": account_num},
        )
        return int(body["available_amt"])

    async def transfers_of(self, bank_tran_date: str) -> list[BankTransfer]:
        """Every transfer this client made at the bank on ``bank_tran_date`` (the bank's list)."""
        found: list[BankTransfer] = []
        next_key = ""
        while True:
            body = await self._send(
                "POST",
                "/v2.0/transfer/list",
                headers=await self._headers(),
                json={"bank_tran_date": bank_tran_date} | ({"next_key": next_key} if next_key else {}),
            )
            found += [
                BankTransfer(str(i["bank_tran_id"]), str(i["direction"]), int(i["tran_amt"]))
                for i in body["res_list"]
            ]
            next_key = str(body.get("next_key") or "")
            if not next_key:
                return found

    async def executed(self, bank_tran_id: str, bank_tran_date: str) -> bool:
        """이체결과조회: whether the bank executed the transfer (40402: it never did)."""
        try:
            await self._send(
                "POST",
                "/v2.0/transfer/result",
                headers=await self._headers(),
                json={"bank_tran_id": bank_tran_id, "bank_tran_date": bank_tran_date},
            )
        except BankRefused as refused:
            if refused.code == "40402":
                return False
            raise
        return True
