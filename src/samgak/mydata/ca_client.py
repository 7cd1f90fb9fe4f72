"""The operator's client of the integrated-auth certificate authority (MyData standard 3.4, 별첨2):
IA101 token, IA102 sign request, IA103 sign result."""

from __future__ import annotations

import time
from typing import Any

from samgak.kit.http import Answer, Sender, Unreachable
from samgak.mydata.holder_client import HolderError


class NotSignedYet(Exception):
    """IA103 before the person signed."""


class CaClient:
    def __init__(self, http: Sender, *, client_id: str = "", client_secret: str = "") -> None:
        self.http, self.client_id, self.client_secret = http, client_id, client_secret
        self._token: tuple[str, float] | None = None

    async def _send(
        self,
        path: str,
        headers: dict[str, str],
        *,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        try:
            return await self.http.request("POST", path, headers=headers, json=json, form=form)
        except Unreachable as failed:
            raise HolderError(503, "50001", f"인증기관에 연결할 수 없습니다 ({failed})") from failed

    async def _bearer(self) -> dict[str, str]:
        if self._token is None or self._token[1] < time.monotonic() + 30:
            response = await self._send(
                "/oauth/2.0/token",
                {},
                form={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": "ca",
                },
            )
            body = response.json()
            if response.status != 200:
                raise HolderError(response.status, str(body.get("error", "")), "CA token refused")
            self._token = (str(body["access_token"]), time.monotonic() + int(body.get("expires_in", 300)))
        return {"Authorization": f"Bearer {self._token[0]}"}

    async def sign_request(
        self, *, sign_tx_id: str, ci: str, name: str, phone: str, title: str, consents: list[dict[str, str]]
    ) -> str:
        """IA102: ask the person to sign ``consents`` (one per holder); the CA's ``cert_tx_id``."""
        response = await self._send(
            "/sign_request",
            await self._bearer(),
            json={
                "sign_tx_id": sign_tx_id,
                "user_ci": ci,
                "real_name": name,
                "phone_num": phone,
                "request_title": title,
                "device_code": "PC",
                "device_browser": "WB",
                "consent_type": "0",
                "consent_cnt": str(len(consents)),
                "consent_list": [c | {"consent_len": str(len(c["consent"]))} for c in consents],
            },
        )
        body = response.json()
        if body.get("rsp_code") != "00000":
            raise HolderError(response.status, str(body.get("rsp_code")), str(body.get("rsp_msg")))
        return str(body["cert_tx_id"])

    async def sign_result(self, *, cert_tx_id: str, sign_tx_id: str) -> dict[str, str]:
        """IA103: each consent's ``tx_id`` → its signed consent."""
        response = await self._send(
            "/sign_result", await self._bearer(), json={"cert_tx_id": cert_tx_id, "sign_tx_id": sign_tx_id}
        )
        if response.status == 409:
            raise NotSignedYet(cert_tx_id)
        body = response.json()
        if body.get("rsp_code") != "00000":
            raise HolderError(response.status, str(body.get("rsp_code")), str(body.get("rsp_msg")))
        return {str(s["tx_id"]): str(s["signed_consent"]) for s in body.get("signed_consent_list", [])}
