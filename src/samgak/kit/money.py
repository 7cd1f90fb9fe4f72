"""Money is integer won plus a currency code; never float. Rates are Decimal."""

from __future__ import annotations


def format_won(amount: int) -> str:
    """``12345`` → ``'12,345원'`` (negative amounts keep their sign)."""
    return f"{amount:,}원"
