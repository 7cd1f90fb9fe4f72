"""The holder's view of the integrated-auth certificate authority, over HTTP (IA101, IA104).

The holder authenticates to the CA with its own portal credentials (the ones its directory client
holds) and asks whether a signed consent is genuine; the answer carries the person's CI.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Protocol

import httpx

from samgak.institution.directory_client import HttpDirectory


@dataclass(frozen=True, slots=True)
class Verification:
    valid: bool
    user_ci: str


class CaUnavailable(Exception):
    """The certificate authority could not be reached or refused our credentials."""


class CertificateAuthority(Protocol):
    async def sign_verification(
        self, *, tx_id: str, cert_tx_id: str, signed_consent: str, consent: str, consent_type: str
    ) -> Verification: ...

    async def aclose(self) -> None: ...


class HttpCertificateAuthority:
    def __init__(self, client: httpx.AsyncClient, credentials: HttpDirectory) -> None:
        self.client = client
        self.credentials = credentials
        self._token: tuple[str, float] | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _access_token(self) -> str:
        """IA101: a ``ca`` token for this holder."""
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        try:
            response = await self.client.post(
                "/oauth/2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.credentials.client_id,
                    "client_secret": self.credentials.client_secret,
                    "scope": "ca",
                },
            )
        except httpx.HTTPError as exc:
            raise CaUnavailable(str(exc)) from exc
        if response.status_code != 200:
            raise CaUnavailable(f"CA token refused: {response.status_code}")
        body = response.json()
        self._token = (body["access_token"], time.monotonic() + min(int(body["expires_in"]), 3600) - 60)
        return self._token[0]

    async def sign_verification(
        self, *, tx_id: str, cert_tx_id: str, signed_consent: str, consent: str, consent_type: str
    ) -> Verification:
        """IA104: is this the person's signature over this consent, and whose is it."""
        token = await self._access_token()
        try:
            response = await self.client.post(
                "/sign_verification",
                headers={"Authorization": f"Bearer {token}", "x-api-tran-id": uuid.uuid4().hex[:25].upper()},
                json={
                    "tx_id": tx_id,
                    "cert_tx_id": cert_tx_id,
                    "signed_consent_len": str(len(signed_consent)),
                    "signed_consent": signed_consent,
                    "consent_type": consent_type,
                    "consent_len": str(len(consent)),
                    "consent": consent,
                },
            )
        except httpx.HTTPError as exc:
            raise CaUnavailable(str(exc)) from exc
        if response.status_code != 200:
            raise CaUnavailable(f"sign_verification failed: {response.status_code}")
        body = response.json()
        return Verification(valid=body.get("result") == "true", user_ci=str(body.get("user_ci", "")))
