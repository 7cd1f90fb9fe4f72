"""The HTTP client factory: one place that sets timeouts and limits for outside calls."""

from __future__ import annotations

import httpx


def new_client(
    base_url: str = "",
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    connections: int = 20,
) -> httpx.AsyncClient:
    """A client for one service. Its pool keeps every connection it opens; more requests than
    ``connections`` wait for one (httpcore scans the whole pool on each request, so a small pool
    of busy connections beats a large idle one)."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=3.0, pool=timeout * 3),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
