"""Time: aware datetimes in UTC inside, Asia/Seoul at the edges, and the standard's formats.

MyData 첨부2 types: ``DATE`` is ``YYYYMMDD``, ``DTIME`` is ``YYYYMMDDhhmmss`` (Korean local time),
months are ``YYYYMM``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_kst() -> date:
    return datetime.now(KST).date()


def parse_date(value: str) -> date:
    """``YYYYMMDD`` → date; raises ValueError otherwise."""
    if len(value) != 8 or not value.isdigit():
        raise ValueError(f"not a DATE (YYYYMMDD): {value!r}")
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


def parse_month(value: str) -> tuple[int, int]:
    """``YYYYMM`` → (year, month); raises ValueError otherwise."""
    if len(value) != 6 or not value.isdigit() or not 1 <= int(value[4:]) <= 12:
        raise ValueError(f"not a month (YYYYMM): {value!r}")
    return int(value[:4]), int(value[4:])


def format_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def format_dtime(value: datetime) -> str:
    """An aware datetime as Korean-local ``YYYYMMDDhhmmss``."""
    return value.astimezone(KST).strftime("%Y%m%d%H%M%S")


def months_between(first: tuple[int, int], last: tuple[int, int]) -> int:
    """Number of months from ``first`` to ``last`` inclusive (0 or less when reversed)."""
    return (last[0] - first[0]) * 12 + (last[1] - first[1]) + 1


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def coerce_datetime(value: datetime | str | None) -> datetime | None:
    """An aware timestamp from what a driver returns (aware or naive UTC ``datetime``, ISO text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
