"""The member's two calls to the platform in a combination, both with its portal (지원-001) token:
the combination agency keys the member's CI digests into join keys, and a joint campaign receives
the customers the member re-identified for it."""

from __future__ import annotations

from typing import Protocol

import httpx

from samgak.institution.directory_client import HttpDirectory

BATCH = 20_000  # digests per keying request


class AgencyUnavailable(Exception):
    """The platform could not be reached or refused the member's call."""


class Agency(Protocol):
    async def join_keys(self, digests: list[str]) -> tuple[str, list[str]]:
        """``(key id, join key per digest)``."""
        ...

    async def hand_over(self, campaign_id: str, request_id: str, cis: list[str]) -> int:
        """Deliver re-identified customers to a joint campaign; how many it took."""
        ...

    async def aclose(self) -> None: ...


class HttpAgency:
    def __init__(self, client: httpx.AsyncClient, credentials: HttpDirectory) -> None:
        self.client = client
        self.credentials = credentials

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {await self.credentials.support_token()}"}
        try:
            response = await self.client.post(path, json=body, headers=headers, timeout=120)
        except httpx.HTTPError as exc:
            raise AgencyUnavailable(str(exc)) from exc
        if response.status_code != 200:
            raise AgencyUnavailable(f"{path}: {response.status_code} {response.text[:200]}")
        answer: dict[str, object] = response.json()
        return answer

    async def join_keys(self, digests: list[str]) -> tuple[str, list[str]]:
        key_id, keys = "", []
        for start in range(0, len(digests), BATCH):
            body = await self._post("/api/combine/v1/join-keys", {"digests": digests[start : start + BATCH]})
            key_id = str(body["key_id"])
            keys += [str(k) for k in body["join_keys"]]  # type: ignore[attr-defined]
        return key_id, keys

    async def hand_over(self, campaign_id: str, request_id: str, cis: list[str]) -> int:
        body = await self._post(
            f"/api/offers/v1/campaigns/{campaign_id}/audience", {"request_id": request_id, "cis": cis}
        )
        accepted = body["accepted"]
        return accepted if isinstance(accepted, int) else 0
