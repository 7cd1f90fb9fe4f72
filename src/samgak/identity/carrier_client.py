"""The carrier's identity verification, over HTTP (KT's institution deployable).

The provider proves who a person is the way Korean services do (PASS-style): the carrier checks
name, birth date and phone number, texts a one-time code to that phone, and on the right code
returns the person's CI (연계정보). Failures are typed for the pages: a wrong code, a lock-out,
an unavailable carrier.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class ProvenPerson:
    ci: str
    name: str


class CarrierRefused(Exception):
    """The carrier refused: wrong code (``retry`` is True) or locked/expired (``retry`` False)."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class CarrierUnavailable(Exception):
    """The carrier could not be reached or refused our credentials."""


class CarrierClient:
    def __init__(
        self, client: httpx.AsyncClient, *, org_code: str, client_id: str, client_secret: str
    ) -> None:
        self.client = client
        self.org_code = org_code
        self.client_id = client_id
        self.client_secret = client_secret
        self._token: tuple[str, float] | None = None

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "x-api-tran-id": f"SAMGAKID01I{uuid.uuid4().hex[:14].upper()}",
        }

    async def _access_token(self) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        try:
            response = await self.client.post(
                "/oauth/2.0/token",
                data={
                    "org_code": self.org_code,
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": "carrier",
                },
            )
        except httpx.HTTPError as exc:
            raise CarrierUnavailable(str(exc)) from exc
        if response.status_code != 200:
            raise CarrierUnavailable(f"carrier token refused: {response.status_code}")
        body = response.json()
        self._token = (body["access_token"], time.monotonic() + min(int(body["expires_in"]), 3600) - 60)
        return self._token[0]

    async def start(self, *, name: str, birth_date: str, phone: str) -> str:
        """Ask the carrier to text a code; the verification id (the same answer for anyone)."""
        token = await self._access_token()
        try:
            response = await self.client.post(
                "/v1/carrier/verifications",
                headers=self._headers(token),
                json={"name": name, "birth_date": birth_date, "phone": phone},
            )
        except httpx.HTTPError as exc:
            raise CarrierUnavailable(str(exc)) from exc
        if response.status_code == 429:
            raise CarrierRefused("인증번호 요청이 너무 많습니다. 10분 후 다시 시도하세요", retry=False)
        if response.status_code != 200:
            raise CarrierRefused(response.json().get("rsp_msg", "입력한 정보를 확인하세요"), retry=True)
        return str(response.json()["verification_id"])

    async def confirm(self, verification_id: str, code: str) -> ProvenPerson:
        token = await self._access_token()
        try:
            response = await self.client.post(
                f"/v1/carrier/verifications/{verification_id}/confirm",
                headers=self._headers(token),
                json={"code": code},
            )
        except httpx.HTTPError as exc:
            raise CarrierUnavailable(str(exc)) from exc
        body = response.json()
        if response.status_code == 200:
            return ProvenPerson(ci=body["ci"], name=body["name"])
        raise CarrierRefused(body.get("rsp_msg", "인증에 실패했습니다"), retry=response.status_code == 400)
