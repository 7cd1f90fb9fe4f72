"""The token endpoint (RFC 6749 §3.2) and userinfo (OIDC Core §5.3), FAPI 2.0 style.

Token: ``private_key_jwt`` client authentication; a DPoP proof on every request (SP-AS-4/5) and
tokens bound to its key (``token_type=DPoP``, ``cnf.jkt``); ``authorization_code`` checks the code
is the client's, unused (a replay revokes the grant — RFC 6749 §4.1.2), ≤ 60 s old, that PKCE
S256 verifies (a failed verifier spends the code) and that the proof's key is the one the code
was bound to at PAR (SP-AS-12); ``refresh_token`` keeps the refresh token (no rotation for
confidential clients, SP-AS-9); other grants (``password``…) are ``unsupported_grant_type``.
ID tokens carry ``acr``, ``amr``, ``auth_time`` and the ``nonce``.

Userinfo: only ``Authorization: DPoP`` (a bound token sent as Bearer is refused), the access
token's signature, expiry and grant, and the proof's ``ath`` and key (DP-12).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse

from samgak.identity.dpop import verify_proof
from samgak.identity.errors import IdentityError
from samgak.identity.models import IdentityGrant
from samgak.identity.provider import Provider, get_provider, read_session, unit_of_work
from samgak.identity.repository import CodeView, GrantView, IdentityRepository
from samgak.kit.crypto import secret_digest
from samgak.kit.timeutil import coerce_datetime, utcnow

router = APIRouter(tags=["identity"])
ACCESS_TOKEN_LIFETIME = 600
ID_TOKEN_LIFETIME = 300
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1


class InvalidGrant(IdentityError):
    code = "invalid_grant"


class UnsupportedGrantType(IdentityError):
    code = "unsupported_grant_type"


class InvalidToken(IdentityError):
    """RFC 6750 §3.1 ``invalid_token`` (401)."""

    status_code = 401
    code = "invalid_token"


def refusal(error: IdentityError) -> JSONResponse:
    """An OAuth error answered (not raised) so the request's unit of work still commits."""
    return JSONResponse(
        {"error": error.code, "error_description": error.message},
        error.status_code,
        headers={"Cache-Control": "no-store"},
    )


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


async def _tokens(
    session: AsyncSession,
    provider: Provider,
    grant: IdentityGrant | GrantView,
    jkt: str,
    *,
    nonce: str | None,
    refresh_token: str | None,
) -> dict[str, Any]:
    """The token response (signing only; a refresh token's digest is the caller's to store)."""
    kid, key = await provider.keyring.signer(session)
    now = int(time.time())
    auth_time = coerce_datetime(grant.auth_time)
    access = jwt.encode(
        {"alg": "ES256", "kid": kid, "typ": "at+jwt"},
        {
            "iss": provider.issuer,
            "sub": grant.subject,
            "aud": provider.issuer,
            "client_id": grant.client_id,
            "scope": grant.scope,
            "iat": now,
            "exp": now + ACCESS_TOKEN_LIFETIME,
            "jti": secrets.token_urlsafe(16),
            "cnf": {"jkt": jkt},
            "grant_id": grant.id,
            "acr": grant.acr,
        },
        key,
    )
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "DPoP",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "scope": grant.scope,
    }
    if "openid" in grant.scope.split():
        claims: dict[str, Any] = {
            "iss": provider.issuer,
            "sub": grant.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME,
            "auth_time": int(auth_time.timestamp()) if auth_time else now,
            "acr": grant.acr,
            "amr": grant.amr.split(),
        }
        if nonce:
            claims["nonce"] = nonce
        body["id_token"] = jwt.encode({"alg": "ES256", "kid": kid}, claims, key)
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    return body


@router.post("/token", summary="Token endpoint (DPoP-bound tokens)")
async def token(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    party = await provider.authenticated_client(session, form)
    grant_type = form.get("grant_type")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise UnsupportedGrantType("only authorization_code and refresh_token are supported")
    proof = verify_proof(
        request.headers.getlist("dpop"), method="POST", url=provider.url("/token"), replay=provider.replay
    )
    repo = IdentityRepository(session)
    now = utcnow()
    if grant_type == "refresh_token":
        grant = await repo.grant_by_refresh(secret_digest(form.get("refresh_token", "")))
        if grant is None or grant.client_id != party.client_id or grant.revoked_at is not None:
            raise InvalidGrant("the refresh token is not valid")
        body = await _tokens(session, provider, grant, proof.jkt, nonce=None, refresh_token=None)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})
    code_digest = secret_digest(form.get("code", ""))
    code = await provider.reads.code(code_digest)
    if code is None or code.client_id != party.client_id:
        raise InvalidGrant("the code is not valid for this client")
    # Check and sign first, then write in one short burst (on SQLite the writes take turns): the
    # code is spent whatever the checks say, and the tokens leave only if this call spent it.
    refused = _refusal_of(code, form, proof.jkt, now)
    granted = None if refused else await provider.reads.grant(code.grant_id)
    if not refused and (granted is None or granted.revoked_at is not None):
        refused = "the grant was revoked"
    refresh_token = "sgk_rt_" + secrets.token_urlsafe(32)
    answer = None
    if granted is not None and not refused:
        answer = await _tokens(
            session, provider, granted, proof.jkt, nonce=code.nonce, refresh_token=refresh_token
        )
    if not await repo.use_authorization_code(code_digest, now):
        await repo.revoke_grant(code.grant_id, now)  # a replayed code voids what it gave
        return refusal(InvalidGrant("the code was already used"))
    if refused or granted is None or answer is None:
        return refusal(InvalidGrant(refused or "the grant was revoked"))
    await repo.set_refresh_digest(granted.id, secret_digest(refresh_token))
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def _refusal_of(code: CodeView, form: dict[str, str], jkt: str, now: datetime) -> str | None:
    """Why a code may not be exchanged (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9449 §10), if it may not."""
    verifier = form.get("code_verifier", "")
    if code.expires_at is None or code.expires_at < now:
        return "the code has expired"
    if "redirect_uri" in form and form["redirect_uri"] != code.redirect_uri:
        return "redirect_uri differs from the authorization request"
    if not _VERIFIER.match(verifier) or _s256(verifier) != code.code_challenge:
        return "PKCE verification failed"
    if code.dpop_jkt is not None and code.dpop_jkt != jkt:
        return "the DPoP key differs from the one the code is bound to"
    return None


@router.get("/userinfo", summary="UserInfo (DPoP-bound access token)")
async def userinfo(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(read_session, scope="function"),
) -> JSONResponse:
    authorization = request.headers.get("authorization", "")
    scheme, _, access = authorization.partition(" ")
    if scheme != "DPoP" or not access:
        raise InvalidToken("a DPoP-bound access token is required (Authorization: DPoP …)")
    try:
        claims = await provider.keyring.decode(session, access)
    except (JoseError, ValueError):
        raise InvalidToken("the access token does not verify") from None
    if (
        claims.get("iss") != provider.issuer
        or claims.get("aud") != provider.issuer
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] <= time.time()
    ):
        raise InvalidToken("the access token is expired or not for this resource")
    verify_proof(
        request.headers.getlist("dpop"),
        method="GET",
        url=provider.url("/userinfo"),
        replay=provider.replay,
        access_token=access,
        bound_jkt=claims.get("cnf", {}).get("jkt"),
    )
    grant = await provider.reads.grant(str(claims.get("grant_id", "")))
    if grant is None or grant.revoked_at is not None or grant.subject != claims["sub"]:
        raise InvalidToken("the grant behind this token was revoked")
    scopes = grant.scope.split()
    info: dict[str, Any] = {"sub": grant.subject}
    if "profile" in scopes:
        info |= {
            "name": grant.name,
            "birthdate": f"{grant.birth_date[:4]}-{grant.birth_date[4:6]}-{grant.birth_date[6:]}",
        }
    if "phone" in scopes:
        info["phone_number"] = "+82" + provider.keys.sealer.open(grant.phone_sealed)[1:]
    return JSONResponse(info, headers={"Cache-Control": "no-store"})
