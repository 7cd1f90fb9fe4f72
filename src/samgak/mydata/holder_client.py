"""The operator's HTTP client of one data holder (정보제공자), as the MyData standard has it.

Every call carries ``x-api-tran-id`` (``{operator org}M{14}``, standard 2.3) and ``x-api-type``
(``user-consent`` for the first collection, ``user-refresh`` on demand, ``scheduled``); list APIs
are read to the end by following ``next_page`` (2.5). A holder's refusal arrives as a
:class:`HolderError` with its 첨부1 code, which callers turn into what the customer should do.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from dataclasses import dataclass
from typing import Any

from samgak.kit.http import Answer, Sender, Unreachable

MAX_PAGES = 100  # the standard's client-side stop (2.5)
RETRIES = 3  # tries after the first, for failures that may pass
BACKOFF = 0.2  # seconds before the first retry; doubled each time, jittered ×0.5–1.5
RELINK_CODES = frozenset({"40101", "40103", "40105", "40305", "40404"})


class HolderError(Exception):
    """A holder refused or failed a call."""

    def __init__(self, status: int, rsp_code: str, message: str) -> None:
        super().__init__(f"{rsp_code} {message}")
        self.status, self.rsp_code, self.message = status, rsp_code, message

    @property
    def needs_relink(self) -> bool:
        """The token or consent no longer works: only the customer linking again helps."""
        return self.rsp_code in RELINK_CODES or self.rsp_code in ("invalid_grant", "invalid_token")

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.rsp_code in ("42902", "50001", "50002", "50003", "50004")


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str


@dataclass(frozen=True, slots=True)
class Listing:
    """A whole paged list and the ``search_timestamp`` its first page answered."""

    items: list[dict[str, Any]]
    search_timestamp: str | None


class HolderClient:
    """One holder's API at ``http``'s base URL, called as the operator ``operator_org``."""

    def __init__(
        self, http: Sender, *, org_code: str, operator_org: str, client_id: str, client_secret: str
    ) -> None:
        self.http, self.org_code, self.operator_org = http, org_code, operator_org
        self.client_id, self.client_secret = client_id, client_secret

    async def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        headers = headers or {"x-api-tran-id": self._tran_id()}
        try:
            return await self.http.request(method, path, headers=headers, params=params, json=json, form=form)
        except Unreachable as failed:
            raise HolderError(503, "50001", f"기관에 연결할 수 없습니다 ({failed})") from failed

    def _tran_id(self) -> str:
        return f"{self.operator_org}M{secrets.token_hex(7).upper()}"

    async def integrated_token(
        self, *, tx_id: str, ci: str, consent: str, signed_consent: str, cert_tx_id: str, ca_code: str
    ) -> Tokens:
        """통합인증-002 (3.4, 별첨2): tokens for a consent the person signed at the CA."""
        response = await self._send(
            "POST",
            "/oauth/2.0/token",
            form={
                "tx_id": tx_id,
                "org_code": self.org_code,
                "grant_type": "password",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "ca_code": ca_code,
                "username": ci,
                "request_type": "1",
                "password_len": str(len(signed_consent)),
                "password": signed_consent,
                "auth_type": "1",
                "consent_type": "0",
                "consent_len": str(len(consent)),
                "consent": consent,
                "cert_tx_id": cert_tx_id,
            },
        )
        return _tokens(response, None)

    async def authorization_page(self, *, ci: str, redirect_uri: str, state: str) -> str:
        """개별인증-001 (3.1): where the person signs in at the holder and chooses what it sends
        (the holder answers with a redirect there); its address."""
        response = await self._send(
            "GET",
            "/oauth/2.0/authorize",
            headers={"x-user-ci": ci, "x-api-tran-id": self._tran_id()},
            params={
                "org_code": self.org_code,
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
            },
        )
        if response.status != 302 or not response.location or "error=" in response.location:
            body = response.json()
            raise HolderError(
                response.status,
                str(body.get("error") or response.status),
                str(body.get("error_description") or "authorization refused"),
            )
        return response.location

    async def exchange_code(self, *, code: str, redirect_uri: str) -> Tokens:
        """개별인증-002: tokens for the authorization code the holder sent back."""
        response = await self._send(
            "POST",
            "/oauth/2.0/token",
            form={
                "org_code": self.org_code,
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
            },
        )
        return _tokens(response, None)

    async def refresh(self, refresh_token: str) -> Tokens:
        """개별인증-003: new tokens for a link before its access token expires (3.1)."""
        response = await self._send(
            "POST",
            "/oauth/2.0/token",
            form={
                "org_code": self.org_code,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        return _tokens(response, refresh_token)

    async def revoke(self, token: str) -> None:
        """개별인증-004: end the grant and its consent at the holder (an unknown token is fine: 99999)."""
        response = await self._send(
            "POST",
            "/oauth/2.0/revoke",
            form={
                "org_code": self.org_code,
                "token": token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        body = response.json()
        if response.status != 200 or body.get("rsp_code") not in ("00000", "99999"):
            raise HolderError(
                response.status, str(body.get("rsp_code") or body.get("error")), "revoke failed"
            )

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        api_type: str,
        args: dict[str, str],
    ) -> dict[str, Any]:
        """One 정보제공 call; the body on ``00000``, else :class:`HolderError`.

        Failures that may pass (5xx, 42902 rate limit, no answer) are tried again up to
        ``RETRIES`` times after an exponential, jittered pause; refusals (4xx) are not. The same
        ``x-api-tran-id`` is kept across the tries of one call (the standard's thread id)."""
        headers = {
            "Authorization": f"Bearer {token}",
            "x-api-tran-id": self._tran_id(),
            "x-api-type": api_type,
        }
        params = {"org_code": self.org_code} | args
        for attempt in range(RETRIES + 1):
            try:
                if method == "GET":
                    response = await self._send("GET", path, headers=headers, params=params)
                else:
                    response = await self._send("POST", path, headers=headers, json=params)
                body = response.json()
                if response.status != 200 or body.get("rsp_code") != "00000":
                    raise HolderError(
                        response.status,
                        str(body.get("rsp_code") or body.get("error") or response.status),
                        str(body.get("rsp_msg") or body.get("error_description") or "refused"),
                    )
                return body
            except HolderError as failed:
                if not failed.retryable or attempt == RETRIES:
                    raise
                await asyncio.sleep(BACKOFF * 2**attempt * (0.5 + random.random()))
        raise AssertionError("unreachable")

    async def all_pages(
        self,
        method: str,
        path: str,
        token: str,
        *,
        api_type: str,
        args: dict[str, str],
        list_field: str,
    ) -> Listing:
        """Every item of a paged list (2.5): follow ``next_page`` until it is absent or repeats.
        A ``search_timestamp`` in ``args`` goes with the first page only, and the first page's
        answer is kept (2.6)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        stamp: str | None = None
        for _ in range(MAX_PAGES):
            if cursor is None:
                body = await self.call(method, path, token, api_type=api_type, args=args)
                stamp = str(body["search_timestamp"]) if body.get("search_timestamp") else None
            else:
                later = {k: v for k, v in args.items() if k != "search_timestamp"} | {"next_page": cursor}
                body = await self.call(method, path, token, api_type=api_type, args=later)
            items.extend(body.get(list_field) or [])
            following = body.get("next_page")
            if not following or following == cursor:
                break
            cursor = str(following)
        return Listing(items, stamp)


def _tokens(response: Answer, kept_refresh: str | None) -> Tokens:
    """A token response (3.1), or :class:`HolderError` with the OAuth error; a refresh that returns
    no new refresh token keeps the old one."""
    body = response.json()
    if response.status != 200 or "access_token" not in body:
        raise HolderError(
            response.status,
            str(body.get("error") or body.get("rsp_code") or response.status),
            str(body.get("error_description") or body.get("rsp_msg") or "token refused"),
        )
    return Tokens(
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token") or kept_refresh,
        expires_in=int(body.get("expires_in", 0)),
        scope=str(body.get("scope", "")),
    )
