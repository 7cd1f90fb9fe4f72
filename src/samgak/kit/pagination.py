"""Keyset (cursor) pagination.

A cursor is the sort key of the last item of a page, made opaque and URL-safe. Keyset paging
keeps every page one index range scan, and an item added or removed between two calls never
shifts an item off a page boundary (MyData standard 2.5: ``next_page`` is provider-defined).
"""

from __future__ import annotations

import base64
import binascii


def encode_cursor(*parts: str | int) -> str:
    raw = "\x1f".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> tuple[str, ...]:
    """The parts of a cursor made by :func:`encode_cursor`; ValueError when it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = tuple(base64.urlsafe_b64decode(padded.encode()).decode().split("\x1f"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("malformed cursor") from exc
    if len(parts) != arity:
        raise ValueError("malformed cursor")
    return parts
