"""통합인증-002 — token grant on a signed transmission request (MyData standard 3.4, 별첨2).

The operator sends, per holder, the consent document (전송요구내역, ``consent``), the person's
signed consent from the certificate authority (``password``, ``cert_tx_id``) and the person's CI
as ``username``. The holder asks the CA (the alliance identity, IA104 sign-verification, over
HTTP) whether the signature is genuine and whose it is:

1. ``tx_id`` is new (a replayed request is refused);
2. the CA confirms the signed consent covers exactly this consent and returns the signer's CI,
   which must be ``username``;
3. the consent names us as sender and the caller as receiver and has not ended;
4. the customer exists here; the assets of ``target_info`` are theirs (``all_asset`` = all).

``request_type=0`` asks for the asset list only: the token then carries only the list scope.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.auth.consent import ConsentTerms, issue_tokens, store_consent
from samgak.institution.ca_client import CaUnavailable
from samgak.institution.directory_client import RegisteredService
from samgak.institution.errors import OAuthError
from samgak.institution.repository import GatewayRepository
from samgak.institution.state import ASSET_SCOPE, INDUSTRY_SCOPES, Institution
from samgak.kit.crypto import equals
from samgak.kit.timeutil import format_date, today_kst, utcnow


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


async def _verified_consent(institution: Institution, form: dict[str, str]) -> dict[str, Any]:
    signed, consent_text, ci = form.get("password", ""), form.get("consent", ""), form.get("username", "")
    if not signed or not consent_text or not ci or not form.get("cert_tx_id"):
        raise OAuthError(
            "invalid_request", "password(서명), consent, username(CI), cert_tx_id가 모두 필요합니다"
        )
    try:
        verification = await institution.ca.sign_verification(
            tx_id=form.get("tx_id", ""),
            cert_tx_id=form["cert_tx_id"],
            signed_consent=signed,
            consent=consent_text,
            consent_type=form.get("consent_type", "0"),
        )
    except CaUnavailable as exc:
        raise OAuthError("temporarily_unavailable", "인증기관에 서명을 확인할 수 없습니다", 503) from exc
    if not verification.valid:
        raise _invalid("전자서명 검증에 실패했습니다")
    if not equals(verification.user_ci, ci):
        raise _invalid("서명자와 고객(username)이 다릅니다")
    try:
        consent = json.loads(consent_text)
    except ValueError:
        raise OAuthError("invalid_request", "전송요구내역(consent)이 JSON이 아닙니다") from None
    if not isinstance(consent, dict):
        raise OAuthError("invalid_request", "전송요구내역(consent) 형식이 올바르지 않습니다")
    return consent


async def integrated_token(
    session: AsyncSession, institution: Institution, service: RegisteredService, form: dict[str, str]
) -> dict[str, Any]:
    tx_id = form.get("tx_id", "")
    if not tx_id or len(tx_id) > 74:
        raise OAuthError("invalid_request", "tx_id가 올바르지 않습니다")
    consent = await _verified_consent(institution, form)
    repo = GatewayRepository(session)
    if not await repo.claim_integrated_tx(tx_id, utcnow()):
        raise _invalid("이미 처리된 tx_id 입니다")
    if consent.get("snd_org_code") != institution.org_code or consent.get("rcv_org_code") != service.org_code:
        raise _invalid("전송요구내역의 정보제공자 또는 수신자가 다릅니다")
    end_date = str(consent.get("end_date", ""))
    if not (end_date.isdigit() and len(end_date) == 8) or end_date < format_date(today_kst()):
        raise _invalid("전송요구 종료일이 올바르지 않습니다")
    customer_id = await institution.core.customer_by_ci(session, form["username"])
    if customer_id is None:
        raise _invalid("해당 고객 정보가 없습니다")
    owned = {a.asset_key: a for a in await repo.assets(customer_id, ("deposit", "loan", "card", "telecom"))}
    allowed = set(INDUSTRY_SCOPES[institution.industry])
    detail_request = form.get("request_type", "1") == "1"
    scopes: set[str] = {institution.list_scope}
    asset_ids: set[int] = set()
    for target in consent.get("target_info", []) if detail_request else []:
        scope = str(target.get("scope", ""))
        if scope not in allowed:
            raise OAuthError("invalid_scope", f"{scope}은(는) 이 기관의 범위가 아닙니다")
        scopes.add(scope)
        for item in target.get("asset_list", []):
            key = str(item.get("asset", ""))
            matches = (
                [a for a in owned.values() if ASSET_SCOPE.get(a.kind) == scope]
                if key == "all_asset"
                else ([owned[key]] if key in owned else [])
            )
            if not matches and key != "all_asset":
                raise _invalid(f"{key} 자산을 찾을 수 없습니다")
            asset_ids.update(a.id for a in matches)
    scope_text = " ".join(s for s in INDUSTRY_SCOPES[institution.industry] if s in scopes)
    terms = ConsentTerms(
        is_scheduled=str(consent.get("is_scheduled", "false")).lower() == "true",
        fnd_cycle=consent.get("fnd_cycle"),
        add_cycle=consent.get("add_cycle"),
        end_date=end_date,
        purpose=str(consent.get("purpose", ""))[:100],
        period=int(str(consent.get("period", "1")) or 1),
        is_consent_trans_memo=str(consent.get("is_consent_trans_memo", "false")).lower() == "true",
        is_consent_merchant_name_regno=str(consent.get("is_consent_merchant_name_regno", "false")).lower()
        == "true",
    )
    consent_id = await store_consent(
        session, customer_id=customer_id, service=service, terms=terms, asset_ids=asset_ids, scope=scope_text
    )
    body = await issue_tokens(
        session,
        institution,
        consent_id=consent_id,
        customer_id=customer_id,
        service=service,
        scope=scope_text,
    )
    return {"tx_id": tx_id, **body}
