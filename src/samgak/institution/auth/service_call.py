"""Who may call a member's service APIs — the transfer API (banks) and carrier verification (KT).

Those APIs are not 정보제공 APIs: there is no customer and no 전송요구 behind the call. A
registered service calls them with a client-credentials token (RFC 6749 §4.4, issued by
``/oauth/2.0/token`` with ``scope=transfer`` at a bank or ``scope=carrier`` at the carrier).

Order of checks, each with its MyData 첨부1 code: ``x-api-tran-id`` present (40002) and well
formed (40001) → bearer token ours and unexpired (40101) → client rate (42902) → the token's
grant exists and is not revoked (40103) → the grant's scope holds the API's scope (40104).

The unit of work of these calls commits *before* the response is sent (``scope="function"``):
a transfer answered "처리 성공" must already be durable, and a commit that fails becomes an
error response instead of a success the database never kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.errors import InvalidToken, RateLimited, RevokedToken, ScopeNotGranted
from samgak.institution.info.base import tran_id_of, unit_of_work
from samgak.institution.repository import GatewayRepository
from samgak.institution.state import Institution, get_institution


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """One authorised call of a service API: which registered service asks, in which session."""

    institution: Institution
    session: AsyncSession
    tran_id: str
    client_id: str
    caller_org_code: str


def service_call(scope: str) -> Callable[..., Awaitable[ServiceCall]]:
    """A dependency that authorises a service-API call needing ``scope``."""

    async def authorise(
        request: Request,
        institution: Institution = Depends(get_institution),
        session: AsyncSession = Depends(unit_of_work, scope="function"),
    ) -> ServiceCall:
        tran_id = tran_id_of(request)
        request.state.tran_id = tran_id
        authorization = request.headers.get("authorization", "")
        if not authorization.lower().startswith("bearer "):
            raise InvalidToken("접근토큰이 없습니다")
        claims = institution.tokens.verify(authorization[7:].strip())
        request.state.client_org_code = claims.aud
        if not institution.limiter.allow(claims.aud):
            raise RateLimited("요청이 너무 많습니다. 잠시 후 다시 시도하세요")
        grant = await GatewayRepository(session).grant_by_jti(claims.jti)
        if grant is None or grant.revoked_at is not None:
            raise RevokedToken("폐기된 접근토큰입니다")
        if scope not in claims.scope or scope not in grant.scope.split():
            raise ScopeNotGranted(f"{scope} 권한이 없습니다")
        return ServiceCall(
            institution=institution,
            session=session,
            tran_id=tran_id,
            client_id=grant.client_id,
            caller_org_code=claims.aud,
        )

    return authorise
