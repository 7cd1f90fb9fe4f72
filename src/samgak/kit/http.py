"""The HTTP clients: one place that sets timeouts and limits for outside calls.

``new_client`` gives an httpx client (the ASGI transport lets tests and the one-process demo call
a mounted app in-process). ``new_sender`` gives what a high-volume caller (the MyData collector)
uses: an aiohttp session over real sockets — measured here at about 6,000 requests/s on one core
where httpx does about 1,000, and far less with many requests waiting on its pool — or, when a
transport is injected, the same interface over httpx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx
import orjson


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


class Unreachable(Exception):
    """The service did not answer (connection refused, reset, timed out)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    location: str | None = None  # a redirect's target (redirects are never followed)

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (``{}`` when it is not one)."""
        try:
            value = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}


class Sender(Protocol):
    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer: ...

    async def aclose(self) -> None: ...


class HttpxSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        try:
            response = await self.client.request(
                method, path, headers=headers, params=params, json=json, data=form
            )
        except httpx.TransportError as failed:
            raise Unreachable(str(failed) or type(failed).__name__) from failed
        return Answer(response.status_code, response.content, response.headers.get("location"))

    async def aclose(self) -> None:
        await self.client.aclose()


class AiohttpSender:
    """One service over aiohttp; the session is opened on first use (it needs the running loop)."""

    def __init__(self, base_url: str, *, connections: int, timeout: float) -> None:
        self.base_url, self.connections, self.timeout = base_url.rstrip("/"), connections, timeout
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=3.0),
            )
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        try:
            async with self._open().request(
                method,
                self.base_url + path,
                headers=headers,
                params=params,
                json=json,
                data=form,
                allow_redirects=False,
            ) as response:
                return Answer(response.status, await response.read(), response.headers.get("Location"))
        except (aiohttp.ClientError, TimeoutError) as failed:
            raise Unreachable(str(failed) or type(failed).__name__) from failed

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def new_sender(
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    connections: int = 32,
    timeout: float = 10.0,
) -> Sender:
    if transport is not None:
        return HttpxSender(
            new_client(base_url, transport=transport, timeout=timeout, connections=connections)
        )
    return AiohttpSender(base_url, connections=connections, timeout=timeout)
