"""전송요구 — storing what the customer agreed to and issuing the token pair for it.

Shared by 개별인증 (the consent screen) and 통합인증-002 (the signed consent document). A new
consent of a customer for a service supersedes the previous one and the holder revokes the
old token pair itself (standard 1: the operator does not call revoke for a change).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.directory_client import RegisteredService
from samgak.institution.models import GwConsent, GwGrant
from samgak.institution.repository import GatewayRepository
from samgak.institution.state import ASSET_SCOPE, INDUSTRY_SCOPES, Institution
from samgak.kit.crypto import secret_digest
from samgak.kit.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """The terms of a 전송요구 besides its assets (standard 3.3, 3.4 consent document)."""

    is_scheduled: bool
    fnd_cycle: str | None
    add_cycle: str | None
    end_date: str
    purpose: str
    period: int
    is_consent_trans_memo: bool = False
    is_consent_merchant_name_regno: bool = False


def scope_for(institution: Institution, asset_kinds: Iterable[str], extra: Iterable[str] = ()) -> str:
    """The list scope always, then the detail scopes of the chosen assets (standard 3.2)."""
    allowed = INDUSTRY_SCOPES[institution.industry]
    scopes = {institution.list_scope} | {ASSET_SCOPE[k] for k in asset_kinds} | (set(extra) & set(allowed))
    return " ".join(s for s in allowed if s in scopes)


async def store_consent(
    session: AsyncSession,
    *,
    customer_id: int,
    service: RegisteredService,
    terms: ConsentTerms,
    asset_ids: Iterable[int],
    scope: str,
) -> int:
    """Store the consent and supersede the customer's previous one (revoking its tokens)."""
    repo = GatewayRepository(session)
    now = utcnow()
    previous = await repo.active_consents(customer_id, service.client_id)
    await repo.supersede([c.id for c in previous], now)
    consent = await repo.add_consent(
        GwConsent(
            customer_id=customer_id,
            client_id=service.client_id,
            rcv_org_code=service.org_code,
            is_scheduled=terms.is_scheduled,
            fnd_cycle=terms.fnd_cycle,
            add_cycle=terms.add_cycle,
            end_date=terms.end_date,
            purpose=terms.purpose,
            period=terms.period,
            is_consent_trans_memo=terms.is_consent_trans_memo,
            is_consent_merchant_name_regno=terms.is_consent_merchant_name_regno,
            scope=scope,
            created_at=now,
        ),
        asset_ids,
    )
    return consent.id


def access_token_body(institution: Institution, access: str, scope: str) -> dict[str, Any]:
    """The access-token part of every token response (standard 3.1, 개별인증-002/003)."""
    return {
        "token_type": "Bearer",
        "access_token": access,
        "expires_in": str(int(institution.tokens.access_ttl.total_seconds())),
        "scope": scope,
    }


async def issue_tokens(
    session: AsyncSession,
    institution: Institution,
    *,
    consent_id: int | None,
    customer_id: int | None,
    service: RegisteredService,
    scope: str,
    with_refresh: bool = True,
) -> dict[str, Any]:
    """A new grant: the token response of 개별인증-002 / 통합인증-002 (standard 3.1)."""
    now = utcnow()
    access, jti, expires = institution.tokens.issue_access(aud=service.org_code, scope=scope, now=now)
    refresh = institution.tokens.issue_refresh() if with_refresh else None
    refresh_expires = now + institution.tokens.refresh_ttl if refresh else None
    await GatewayRepository(session).add_grant(
        GwGrant(
            consent_id=consent_id,
            client_id=service.client_id,
            customer_id=customer_id,
            scope=scope,
            access_jti=jti,
            access_expires_at=expires,
            refresh_digest=secret_digest(refresh) if refresh else None,
            refresh_expires_at=refresh_expires,
            created_at=now,
        )
    )
    body = access_token_body(institution, access, scope)
    if refresh:
        body |= {
            "refresh_token": refresh,
            "refresh_token_expires_in": str(int(institution.tokens.refresh_ttl.total_seconds())),
        }
    return body
