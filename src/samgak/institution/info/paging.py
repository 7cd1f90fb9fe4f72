"""Cut a fetched ``limit + 1`` rows into a page and the cursor of the next one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from samgak.kit.pagination import encode_cursor


def cut(
    rows: Sequence[Sequence[Any]], limit: int, key: Callable[[Sequence[Any]], tuple[Any, ...]]
) -> tuple[Sequence[Sequence[Any]], str | None]:
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(*key(page[-1]))


def with_next_page(body: dict[str, Any], next_page: str | None) -> dict[str, Any]:
    """``next_page`` is omitted on the last page (standard 2.5)."""
    if next_page is not None:
        body["next_page"] = next_page
    return body
