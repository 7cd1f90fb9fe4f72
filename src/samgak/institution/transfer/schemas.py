"""The transfer API's requests, read tolerantly (numbers as numbers or strings), and its answers.

Field names and formats follow KFTC 오픈뱅킹 (``bank_tran_id`` AN(20), ``tran_dtime`` N(14),
``api_tran_dtm`` N(17)); every value of an answer is a JSON string, as in the MyData wire format.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from samgak.institution.errors import BadParameter
from samgak.institution.wire import read_str
from samgak.kit.timeutil import KST, format_date, parse_date, utcnow

Direction = Literal["withdraw", "deposit"]

_BANK_TRAN_ID = re.compile(r"^[0-9A-Za-z]{1,20}$")
_AMOUNT = re.compile(r"^[0-9]{1,12}$")
_ACCOUNT_NUM = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_NEXT_KEY = re.compile(r"^[0-9]{1,18}$")
PRINT_CONTENT_MAX = 20
NAME_MAX = 30
# A retry keeps the request's tran_dtime, so a transfer can be replayed for a day; clocks may differ a little.
TRAN_DTIME_PAST = timedelta(days=1)
TRAN_DTIME_FUTURE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class TransferOrder:
    """One withdrawal (출금이체) or deposit (입금이체) as the caller asked for it."""

    direction: Direction
    bank_tran_id: str
    bank_tran_date: str
    account_num: str
    tran_amt: int
    print_content: str
    counterparty_name: str  # the payee of a withdrawal, the payer of a deposit
    client_ci: str | None = None  # withdrawal: the account holder's CI, as the caller knows it
    holder_name: str | None = None  # deposit: the account holder's name, as the caller knows it

    def digest(self, ci_digest: str | None) -> str:
        """SHA-256 of the business fields in canonical JSON: equal only for the same transfer.

        The CI enters as the holder's keyed digest, never in the clear.
        """
        fields = {
            "direction": self.direction,
            "account_num": self.account_num,
            "tran_amt": self.tran_amt,
            "print_content": self.print_content,
            "counterparty_name": self.counterparty_name,
            "client_ci": ci_digest,
            "holder_name": self.holder_name,
        }
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def read_withdraw(payload: dict[str, Any]) -> TransferOrder:
    """출금이체: ``bank_tran_id, tran_dtime?, account_num, req_client_ci, tran_amt, print_content?,
    recv_client_name``."""
    payee = _name(payload.get("recv_client_name"), "recv_client_name")
    return TransferOrder(
        direction="withdraw",
        bank_tran_id=read_bank_tran_id(payload.get("bank_tran_id")),
        bank_tran_date=_tran_date(payload.get("tran_dtime")),
        account_num=_account_num(payload.get("account_num"), "account_num"),
        tran_amt=read_amount(payload.get("tran_amt")),
        print_content=_print_content(payload.get("print_content"), default=payee),
        counterparty_name=payee,
        client_ci=_text(payload.get("req_client_ci"), "req_client_ci", 100),
    )


def read_deposit(payload: dict[str, Any]) -> TransferOrder:
    """입금이체: ``bank_tran_id, tran_dtime?, recv_account_num, recv_client_name, tran_amt,
    print_content?, req_client_name``."""
    payer = _name(payload.get("req_client_name"), "req_client_name")
    return TransferOrder(
        direction="deposit",
        bank_tran_id=read_bank_tran_id(payload.get("bank_tran_id")),
        bank_tran_date=_tran_date(payload.get("tran_dtime")),
        account_num=_account_num(payload.get("recv_account_num"), "recv_account_num"),
        tran_amt=read_amount(payload.get("tran_amt")),
        print_content=_print_content(payload.get("print_content"), default=payer),
        counterparty_name=payer,
        holder_name=_name(payload.get("recv_client_name"), "recv_client_name"),
    )


def read_bank_tran_id(value: Any) -> str:
    if not isinstance(value, str) or not _BANK_TRAN_ID.match(value):
        raise BadParameter("bank_tran_id 값이 올바르지 않습니다 (영문·숫자 20자 이내)")
    return value


def read_bank_tran_date(value: Any) -> str:
    text = _text(value, "bank_tran_date", 8)
    try:
        parse_date(text)
    except ValueError:
        raise BadParameter("bank_tran_date 값이 올바르지 않습니다 (YYYYMMDD)") from None
    return text


def read_next_key(value: Any) -> int | None:
    """거래내역 대사's cursor: absent or empty for the first page, else the ``next_key`` it answered."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not _NEXT_KEY.match(str(value)):
        raise BadParameter("next_key 값이 올바르지 않습니다")
    return int(value)


def read_amount(value: Any) -> int:
    """A positive whole number of won, as a JSON number or a string of digits (never a float)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadParameter("tran_amt 값이 올바르지 않습니다 (원 단위 정수)")
    text = str(value)
    if not _AMOUNT.match(text) or int(text) <= 0:
        raise BadParameter("tran_amt 값은 1원 이상의 정수여야 합니다")
    return int(text)


def read_account_num(value: Any, name: str = "account_num") -> str:
    return _account_num(value, name)


def mask_account(account_num: str) -> str:
    """오픈뱅킹 style: the last three digits hidden (``1002000000120***``)."""
    return account_num[:-3] + "***" if len(account_num) > 3 else "***"


def api_tran_dtm(moment: datetime) -> str:
    """N(17): ``YYYYMMDDhhmmssSSS`` in Korean time."""
    local = aware(moment).astimezone(KST)
    return f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}"


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive timestamps; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _tran_date(value: Any) -> str:
    """The business day of the transfer: the day of ``tran_dtime`` when given, else today (KST).

    Taking the caller's own request time makes the idempotency key entirely the caller's:
    a retry that keeps its ``tran_dtime`` dedupes even when it lands after midnight, and the
    caller knows the ``bank_tran_date`` to ask ``/transfer/result`` about without an answer.
    """
    now = utcnow()
    if value is None or value == "":
        return format_date(now.astimezone(KST).date())
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    try:
        moment = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=KST) if len(text) == 14 else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadParameter("tran_dtime 값이 올바르지 않습니다 (YYYYMMDDhhmmss)")
    if not now - TRAN_DTIME_PAST <= moment <= now + TRAN_DTIME_FUTURE:
        raise BadParameter("tran_dtime 값이 허용 범위(최근 24시간)를 벗어났습니다")
    return format_date(moment.date())


def _text(value: Any, name: str, max_len: int) -> str:
    text = read_str(value, name, max_len=max_len)
    assert text is not None
    return text


def _name(value: Any, name: str) -> str:
    text = _text(value, name, NAME_MAX).strip()
    if not text:
        raise BadParameter(f"{name} 값이 없습니다")
    return text


def _account_num(value: Any, name: str) -> str:
    text = _text(value, name, 64)
    if not _ACCOUNT_NUM.match(text):
        raise BadParameter(f"{name} 값이 올바르지 않습니다")
    return text.replace("-", "")


def _print_content(value: Any, *, default: str) -> str:
    text = read_str(value, "print_content", required=False, max_len=PRINT_CONTENT_MAX)
    return (text or default[:PRINT_CONTENT_MAX]).strip() or default[:PRINT_CONTENT_MAX]
