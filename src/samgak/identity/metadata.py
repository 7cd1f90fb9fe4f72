"""Provider metadata (OpenID Connect Discovery 1.0 and RFC 8414, identical; SP-AS-1) and the
token lifecycle endpoints: revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse

from samgak.identity.dpop import ALGORITHMS
from samgak.identity.provider import Provider, get_provider, unit_of_work
from samgak.identity.repository import IdentityRepository
from samgak.kit.crypto import secret_digest
from samgak.kit.timeutil import utcnow

router = APIRouter(tags=["identity"])
well_known = APIRouter(tags=["identity"])


def provider_metadata(provider: Provider) -> dict[str, Any]:
    algs = list(ALGORITHMS)
    return {
        "issuer": provider.issuer,
        "authorization_endpoint": provider.url("/authorize"),
        "pushed_authorization_request_endpoint": provider.url("/par"),
        "require_pushed_authorization_requests": True,
        "token_endpoint": provider.url("/token"),
        "userinfo_endpoint": provider.url("/userinfo"),
        "jwks_uri": provider.url("/jwks"),
        "revocation_endpoint": provider.url("/revoke"),
        "introspection_endpoint": provider.url("/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "revocation_endpoint_auth_methods_supported": ["private_key_jwt"],
        "introspection_endpoint_auth_methods_supported": ["private_key_jwt"],
        "dpop_signing_alg_values_supported": algs,
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": ["openid", "profile", "phone"],
        "claims_supported": ["sub", "name", "birthdate", "phone_number", "acr", "amr", "auth_time"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "acr_values_supported": ["urn:samgak:acr:carrier-otp"],
    }


@well_known.get("/oidc/.well-known/openid-configuration", summary="OpenID Connect Discovery")
@well_known.get("/.well-known/oauth-authorization-server/oidc", summary="RFC 8414 metadata")
async def metadata(provider: Provider = Depends(get_provider)) -> JSONResponse:
    return JSONResponse(provider_metadata(provider), headers={"Cache-Control": "public, max-age=300"})


async def _grant_of(
    session: AsyncSession, provider: Provider, token: str
) -> tuple[Any, dict[str, Any] | None]:
    """The grant behind a refresh token or one of our access tokens (and the access token's claims)."""
    repo = IdentityRepository(session)
    grant = await repo.grant_by_refresh(secret_digest(token))
    if grant is not None:
        return grant, None
    try:
        claims = await provider.keyring.decode(session, token)
    except (JoseError, ValueError):
        return None, None
    return await repo.grant(str(claims.get("grant_id", ""))), claims


@router.post("/revoke", summary="Token revocation (RFC 7009)")
async def revoke(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    """Revoking either token ends the grant; an unknown token is answered 200 all the same (§2.2)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    party = await provider.authenticated_client(session, form)
    grant, _claims = await _grant_of(session, provider, form.get("token", ""))
    if grant is not None and grant.client_id == party.client_id:
        await IdentityRepository(session).revoke_grant(grant.id, utcnow())
    return JSONResponse({}, headers={"Cache-Control": "no-store"})


@router.post("/introspect", summary="Token introspection (RFC 7662)")
async def introspect(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    party = await provider.authenticated_client(session, form)
    grant, claims = await _grant_of(session, provider, form.get("token", ""))
    inactive = JSONResponse({"active": False}, headers={"Cache-Control": "no-store"})
    if grant is None or grant.revoked_at is not None or grant.client_id != party.client_id:
        return inactive
    answer: dict[str, Any] = {
        "active": True,
        "iss": provider.issuer,
        "sub": grant.subject,
        "client_id": grant.client_id,
        "scope": grant.scope,
        "acr": grant.acr,
    }
    if claims is not None:
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            return inactive
        answer |= {"exp": claims["exp"], "iat": claims["iat"], "token_type": "DPoP", "cnf": claims["cnf"]}
    else:
        answer["token_type"] = "refresh_token"
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})
