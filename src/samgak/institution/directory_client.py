"""The holder's view of the alliance directory, over HTTP (지원-001, 지원-003).

A holder learns registered services (client ids, secret digests, redirect URIs, scopes) from the
portal, never from the platform's database. Answers are
cached for a few minutes; an unknown client id triggers at most one refresh per interval.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True, slots=True)
class RegisteredService:
    client_id: str
    client_secret_digest: str
    org_code: str
    service_name: str
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]


class Directory(Protocol):
    async def service(self, client_id: str) -> RegisteredService | None: ...

    async def aclose(self) -> None: ...


class DirectoryUnavailable(Exception):
    """The directory could not be reached or refused our credentials."""


class HttpDirectory:
    """:class:`Directory` over the portal's 지원 APIs."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        org_code: str,
        client_id: str,
        client_secret: str,
        ttl_seconds: float = 300.0,
    ) -> None:
        self.client = client
        self.org_code = org_code
        self.client_id = client_id
        self.client_secret = client_secret
        self.ttl = ttl_seconds
        self._token: tuple[str, float] | None = None
        self._services: dict[str, RegisteredService] = {}
        self._services_at = 0.0
        self._misses: dict[str, float] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    def _tran_id(self) -> str:
        return (self.org_code + "S" + uuid.uuid4().hex[:14]).upper()

    async def support_token(self) -> str:
        """지원-001: a ``manage`` token from the portal."""
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        response = await self.client.post(
            "/mgmts/oauth/2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": "manage",
            },
        )
        if response.status_code != 200:
            raise DirectoryUnavailable(f"support token refused: {response.status_code}")
        body = response.json()
        self._token = (body["access_token"], time.monotonic() + min(float(body["expires_in"]), 3600) - 60)
        return self._token[0]

    async def _get(self, path: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.support_token()}", "x-api-tran-id": self._tran_id()}
        try:
            return await self.client.get(path, headers=headers)
        except httpx.HTTPError as exc:
            raise DirectoryUnavailable(str(exc)) from exc

    async def _refresh_services(self) -> None:
        """지원-003: every registered service."""
        response = await self._get("/v1/mgmts/services")
        if response.status_code != 200:
            raise DirectoryUnavailable(f"services: {response.status_code}")
        services = {}
        for org in response.json()["org_list"]:
            for item in org["service_list"]:
                services[item["client_id"]] = RegisteredService(
                    client_id=item["client_id"],
                    client_secret_digest=item["client_secret_digest"],
                    org_code=org["org_code"],
                    service_name=item["service_name"],
                    redirect_uris=tuple(u["redirect_uri"] for u in item.get("redirect_uri_list", [])),
                    scopes=frozenset(item.get("scope", "").split()),
                )
        self._services, self._services_at = services, time.monotonic()

    async def service(self, client_id: str) -> RegisteredService | None:
        """The registered service; an id not yet known refreshes the list, at most once per 5 s per id
        (a service registered a moment ago is found at once, a flood of made-up ids is not a flood)."""
        now = time.monotonic()
        stale = now - self._services_at > self.ttl
        unknown = client_id not in self._services and now - self._misses.get(client_id, 0.0) > 5
        if stale or unknown:
            if unknown:
                if len(self._misses) > 10_000:
                    self._misses.clear()
                self._misses[client_id] = now
            await self._refresh_services()
        return self._services.get(client_id)
