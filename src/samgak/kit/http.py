"""The HTTP client factory: one place that sets timeouts and limits for outside calls."""

from __future__ import annotations

import httpx


def new_client(
    base_url: str = "", *, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 10.0
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=3.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
