"""Parameters every 정보제공 API shares: pagination, windows, ``search_timestamp`` (standard 2.5–2.7)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from samgak.institution.errors import BadParameter, MyDataError
from samgak.institution.wire import read_int, read_str
from samgak.kit.pagination import decode_cursor
from samgak.kit.timeutil import (
    add_months,
    format_dtime,
    months_between,
    parse_date,
    parse_month,
    today_kst,
    utcnow,
)

MAX_LIMIT = 500
FIRST_PAGE = ("99999999999999", str(2**62))

BeyondRetention = type(
    "BeyondRetention",
    (MyDataError,),
    {
        "status_code": 403,
        "rsp_code": "40304",
        "rsp_msg": "최대 보존기간 초과 데이터",
        "__doc__": "최대 보존기간 초과 데이터",
    },
)


def limit_of(value: Any, *, optional: bool = False) -> int:
    """``limit`` N(3): 1..500 (standard 2.5). Asset lists (은행-001, 카드-001, 통신-001) may omit it:
    the 2021 revision had no paging there, so an absent limit means a whole list of up to 500."""
    return read_int(value, "limit", low=1, high=MAX_LIMIT, default=MAX_LIMIT if optional else None)


def cursor_of(value: Any, arity: int = 2) -> tuple[str, ...] | None:
    text = read_str(value, "next_page", required=False)
    if text is None:
        return None
    try:
        return decode_cursor(text, arity)
    except ValueError:
        raise BadParameter("next_page 값이 올바르지 않습니다") from None


def keyset_of(value: Any) -> tuple[str, int]:
    """The (time, id) position after which a newest-first page continues."""
    parts = cursor_of(value)
    if parts is None:
        return FIRST_PAGE[0], int(FIRST_PAGE[1])
    if not parts[1].isdigit():
        raise BadParameter("next_page 값이 올바르지 않습니다")
    return parts[0], int(parts[1])


def search_timestamp_of(value: Any) -> str:
    text = read_str(value, "search_timestamp", required=False, max_len=14) or "0"
    if not text.isdigit():
        raise BadParameter("search_timestamp 값이 올바르지 않습니다")
    return text


def unchanged(search_timestamp: str, modified_at: str) -> bool:
    """True when the client's copy is newer than our last change ("UP_TO_DATE", standard 2.6)."""
    return search_timestamp != "0" and len(search_timestamp) == 14 and search_timestamp >= modified_at


def now_timestamp() -> str:
    return format_dtime(utcnow())


def _back_limit(api_type: str, today: date) -> date:
    if api_type == "user-search":
        return date(today.year - 5, today.month, 1)
    return today - timedelta(days=366)


def date_window(
    from_value: Any, to_value: Any, api_type: str, *, scheduled_days: int = 31
) -> tuple[str, str]:
    """``from_date``/``to_date`` (DATE) checked against the per-call limits of standard 2.7."""
    try:
        first = parse_date(str(read_str(from_value, "from_date")))
        last = parse_date(str(read_str(to_value, "to_date")))
    except ValueError as exc:
        raise BadParameter(f"날짜 형식이 올바르지 않습니다 (YYYYMMDD): {exc}") from None
    today = today_kst()
    if first > last:
        raise BadParameter("from_date가 to_date보다 늦습니다")
    if last > today:
        raise BadParameter("to_date는 오늘 이후일 수 없습니다")
    if api_type == "scheduled" and (last - first).days >= scheduled_days:
        raise BadParameter(f"정기적 전송은 {scheduled_days}일 이내로 조회해야 합니다")
    if first < _back_limit(api_type, today):
        raise BeyondRetention("조회 가능 기간을 벗어났습니다 (사용자 조회 5년, 그 외 12개월)")
    return f"{first:%Y%m%d}", f"{last:%Y%m%d}"


def month_window(from_value: Any, to_value: Any, api_type: str) -> tuple[str, str]:
    """``from_month``/``to_month`` (YYYYMM) checked against the per-call limits of standard 2.7."""
    try:
        first = parse_month(str(read_str(from_value, "from_month")))
        last = parse_month(str(read_str(to_value, "to_month")))
    except ValueError as exc:
        raise BadParameter(f"월 형식이 올바르지 않습니다 (YYYYMM): {exc}") from None
    today = today_kst()
    span = months_between(first, last)
    if span < 1:
        raise BadParameter("from_month가 to_month보다 늦습니다")
    if last > (today.year, today.month):
        raise BadParameter("to_month는 이번 달 이후일 수 없습니다")
    if api_type == "scheduled" and span > 3:
        raise BadParameter("정기적 전송은 3개월 이내로 조회해야 합니다")
    oldest = add_months(today.year, today.month, -60 if api_type == "user-search" else -12)
    if first < oldest:
        raise BeyondRetention("조회 가능 기간을 벗어났습니다 (사용자 조회 5년, 그 외 12개월)")
    return f"{first[0]}{first[1]:02d}", f"{last[0]}{last[1]:02d}"
