"""What every 정보제공 API call goes through before its query (MyData standard 2.3, 3.1, 3.2).

Order of checks, each with its 첨부1 code: ``x-api-tran-id`` present (40002) → client rate
(42902) → bearer token valid and ours (40101), not revoked (40103), consent not ended (40101)
→ scope granted (40104) → ``org_code`` is ours (40303) → parameters (40001) → the asset exists
(40402), is consented (40105), is open (40404) → ``scheduled`` calls once per asset, API and
week (42901). One query resolves the token's grant and consent; one more the asset.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.auth.tokens import AccessClaims
from samgak.institution.errors import (
    AssetInvalidState,
    AssetNotConsented,
    BadParameter,
    ClosedAsset,
    InvalidToken,
    MissingHeader,
    RateLimited,
    RevokedToken,
    ScopeNotGranted,
    TransmissionLimit,
    UnknownAsset,
    UnknownOrg,
)
from samgak.institution.info.repository import ACCESS_COLUMNS, KeysetPage
from samgak.institution.models import BLOCKED_STATUS, CLOSED_STATUS
from samgak.institution.repository import AccessRepository, GatewayRepository
from samgak.institution.state import Institution, get_institution
from samgak.institution.wire import json_body
from samgak.kit.timeutil import format_date, today_kst

API_TYPES = frozenset({"scheduled", "user-consent", "user-refresh", "user-search"})
_TRAN_ID = re.compile(r"^[0-9A-Za-z]{1,25}$")


def tran_id_of(request: Request) -> str:
    """The request's ``x-api-tran-id`` (AN(25)); 40002 when absent, 40001 when malformed."""
    value = request.headers.get("x-api-tran-id")
    if not value:
        raise MissingHeader("x-api-tran-id 헤더가 없습니다")
    if not _TRAN_ID.match(value):
        raise BadParameter("x-api-tran-id 형식이 올바르지 않습니다 (영문·숫자 25자 이내)")
    return value


@dataclass(frozen=True, slots=True)
class Asset:
    id: int
    kind: str
    status: str
    detail: dict[str, Any]
    balance_amt: int | None
    modified_at: str
    currency_code: str | None


@dataclass(frozen=True, slots=True)
class Grant:
    """What the token's grant allows, read once per call."""

    consent_id: int | None
    customer_id: int
    history_ready: bool
    trans_memo: bool
    merchant_regno: bool


class Call:
    """One call authorised by its token. The grant is checked together with the first read:
    :meth:`asset` for asset APIs, :meth:`customer` for the others. Until then the customer and
    consent are unknown, so no query can run for the wrong person."""

    def __init__(
        self, request: Request, institution: Institution, tran_id: str, api_type: str, claims: AccessClaims
    ) -> None:
        self.request = request
        self.institution = institution
        self.reader = institution.reader
        self.tran_id = tran_id
        self.api_type = api_type
        self.claims = claims
        self._grant: Grant | None = None

    @property
    def grant(self) -> Grant:
        if self._grant is None:
            raise RuntimeError("the grant is checked by Call.asset() or Call.customer() first")
        return self._grant

    @property
    def customer_id(self) -> int:
        return self.grant.customer_id

    @property
    def consent_id(self) -> int | None:
        return self.grant.consent_id

    @property
    def trans_memo(self) -> bool:
        return self.grant.trans_memo

    @property
    def merchant_regno(self) -> bool:
        return self.grant.merchant_regno

    def arg(self, name: str) -> str | None:
        """A query parameter as sent (validated by the route's own rules, never silently coerced)."""
        return self.request.query_params.get(name)

    async def json(self) -> dict[str, Any]:
        """The POST body (one dependency fewer than a separate body parameter)."""
        return await json_body(self.request)

    def check_org(self, org_code: Any) -> None:
        if org_code in (None, ""):
            raise BadParameter("org_code 값이 없습니다")
        if org_code != self.institution.org_code:
            raise UnknownOrg(f"기관코드 {org_code}를 확인할 수 없습니다")

    def _admit(self, row: Sequence[Any]) -> Grant:
        """40103 for a revoked grant, 40101 for an ended consent."""
        revoked_at, consent_id, customer_id, history_ready, end_date, memo, regno = row[:7]
        if revoked_at is not None:
            raise RevokedToken("폐기된 접근토큰입니다")
        if end_date is not None and end_date < format_date(today_kst()):
            raise InvalidToken("전송요구 기간이 종료되었습니다")
        self._grant = Grant(consent_id, customer_id, bool(history_ready), bool(memo), bool(regno))
        return self._grant

    async def customer(self, *, api_code: str | None = None, history: bool = False) -> Grant:
        """Check the grant for a customer-level API; with ``history`` make sure it is written."""
        row = await AccessRepository(self.reader).grant(self.claims.jti)
        if row is None:
            raise RevokedToken("더 이상 유효하지 않은 접근토큰입니다")
        grant = self._admit(row)
        if api_code:
            await self.count_scheduled(api_code)
        if history and not grant.history_ready:
            await self._write_history()
        return grant

    async def asset(self, asset_key: Any, *, kind: str, api_code: str) -> Asset:
        """The consented, open asset ``asset_key`` of this customer (40402/40105/40404/40305)."""
        if not isinstance(asset_key, str) or not asset_key:
            raise BadParameter("자산 식별값이 없습니다")
        access = AccessRepository(self.reader)
        row = await access.grant_and_asset(self.claims.jti, asset_key)
        if row is None:
            raise RevokedToken("더 이상 유효하지 않은 접근토큰입니다")
        grant = self._admit(row)
        if not grant.history_ready:
            await self._write_history()
            row = await access.grant_and_asset(self.claims.jti, asset_key)
            assert row is not None
        asset_id, asset_kind, status, owner, detail, balance, modified, consented, currency = row[7:]
        if asset_id is None or asset_kind != kind or owner != grant.customer_id:
            raise UnknownAsset(f"{asset_key} 자산이 없습니다")
        if not consented:
            raise AssetNotConsented(f"{asset_key} 자산은 전송요구 대상이 아닙니다")
        if status == CLOSED_STATUS:
            raise ClosedAsset(f"{asset_key} 자산은 해지되었습니다")
        if status == BLOCKED_STATUS:
            raise AssetInvalidState(f"{asset_key} 자산은 조회할 수 없는 상태입니다 (분실·사고 등)")
        await self.count_scheduled(api_code, asset_key)
        return Asset(
            asset_id,
            asset_kind,
            status,
            json.loads(detail) if isinstance(detail, str) else detail,
            balance,
            modified,
            currency,
        )

    async def asset_page(
        self, asset_key: Any, *, kind: str, api_code: str, page: KeysetPage, params: dict[str, Any]
    ) -> tuple[str | None, Sequence[Sequence[Any]]]:
        """One page of an asset's rows, and the asset's currency.

        Where statements are round trips (PostgreSQL) and outside scheduled calls, the page comes in
        one read that also checks the grant, the consent and the asset (:attr:`KeysetPage.checked`);
        when that read finds nothing — an empty page or a refusal — the checks run one by one
        (:meth:`asset`) to tell which, and the page is read by id, as it always is on SQLite.
        """
        if (
            self.reader.statements_are_round_trips
            and self.api_type != "scheduled"
            and isinstance(asset_key, str)
            and asset_key
        ):
            rows = await self.reader.fetch(
                page.checked,
                jti=self.claims.jti,
                asset_key=asset_key,
                kind=kind,
                today=format_date(today_kst()),
                **params,
            )
            if rows:
                customer_id, consent_id, memo, regno, currency = rows[0][-ACCESS_COLUMNS:]
                self._grant = Grant(consent_id, customer_id, True, bool(memo), bool(regno))
                return currency, [row[:-ACCESS_COLUMNS] for row in rows]
        asset = await self.asset(asset_key, kind=kind, api_code=api_code)
        return asset.currency_code, await self.reader.fetch(page.by_id, asset_id=asset.id, **params)

    async def _write_history(self) -> None:
        async with self.institution.db.unit_of_work() as session:
            await self.institution.core.ensure_history(session, self.grant.customer_id)
        self._grant = replace(self.grant, history_ready=True)

    async def count_scheduled(self, api_code: str, asset_key: str = "") -> None:
        """정기적 전송: at most once per asset, API and week (Sun–Sat), else 42901."""
        if self.api_type != "scheduled" or self.consent_id is None:
            return
        today = today_kst()
        sunday = today - timedelta(days=(today.weekday() + 1) % 7)
        async with self.institution.db.unit_of_work() as session:
            claimed = await GatewayRepository(session).claim_scheduled_call(
                self.consent_id, api_code, asset_key, format_date(sunday)
            )
        if not claimed:
            raise TransmissionLimit("이번 주 정기적 전송 한도를 초과했습니다")


async def unit_of_work(institution: Institution = Depends(get_institution)) -> AsyncIterator[AsyncSession]:
    """The request's unit of work. Depend on it with ``scope="function"``: the commit then happens
    before the response is sent, so an answer never reports what the database did not keep."""
    async with institution.db.unit_of_work() as session:
        yield session


async def authorise(request: Request, scope: str) -> Call:
    """Authorise a 정보제공 API call needing ``scope``: header, token, rate, scope (standard 2.3, 3.1,
    3.2). The grant itself is checked with the call's first read (:class:`Call`).

    Routes call it directly rather than through ``Depends``: on the hot path FastAPI's dependency
    resolution and per-parameter validation cost more than every check here; routes document their
    query and body fields with :func:`~samgak.institution.wire.query_doc` and ``body_doc``.
    """
    institution: Institution = request.app.state.institution
    tran_id = tran_id_of(request)
    request.state.tran_id = tran_id
    api_type = request.headers.get("x-api-type", "user-search")
    if api_type not in API_TYPES:
        raise BadParameter("x-api-type 값이 올바르지 않습니다")
    authorization = request.headers.get("authorization", "")
    if not authorization.lower().startswith("bearer "):
        raise InvalidToken("접근토큰이 없습니다")
    claims = institution.tokens.verify(authorization[7:].strip())
    request.state.client_org_code = claims.aud
    if not institution.limiter.allow(claims.aud):
        raise RateLimited("요청이 너무 많습니다. 잠시 후 다시 시도하세요")
    if scope not in claims.scope:
        raise ScopeNotGranted(f"{scope} 권한이 없습니다")
    return Call(request, institution, tran_id, api_type, claims)
