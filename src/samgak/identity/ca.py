"""통합인증 — the alliance identity as the certificate authority of MyData integrated authentication
(private-certificate flow, 별첨2): one passkey signature over a bundle of transmission requests.

* IA101 ``POST /ca/oauth/2.0/token`` — a CA token (``scope=ca``) for a MyData service (its
  registered client secret) or a data holder (its portal credentials);
* IA102 ``POST /ca/sign_request`` — the service asks the person (by CI) to sign ``consent_list``;
* the person signs on ``/id/sign/{cert_tx_id}`` with one passkey assertion whose challenge is the
  hash of every consent in the bundle (dynamic linking: what was shown is what is signed);
* IA103 ``POST /ca/sign_result`` — the service collects one signed consent per holder;
* IA104 ``POST /ca/sign_verification`` — a holder checks a signed consent and learns the CI.

A signed consent is a JWS by the provider's signing key over ``tx_id``, ``cert_tx_id`` and the
SHA-256 of the consent; answers are in the standard's ``rsp_code``/``rsp_msg`` shape.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse

from samgak import directory
from samgak.identity.models import IdentityAccount, IdentitySignRequest
from samgak.identity.passkeys import PasskeyRefused, bound_challenge, verify_own_assertion
from samgak.identity.provider import Provider, get_provider, unit_of_work
from samgak.identity.repository import IdentityRepository
from samgak.kit.crypto import keyed_digest
from samgak.kit.timeutil import coerce_datetime, utcnow

router = APIRouter(prefix="/ca", tags=["통합인증 (integrated authentication CA)"])
CA_TOKEN_LIFETIME = 3600
SIGN_REQUEST_TTL = timedelta(minutes=10)
OK = {"rsp_code": "00000", "rsp_msg": "성공"}


def _answer(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _fail(status: int, code: str, message: str) -> JSONResponse:
    return _answer({"rsp_code": code, "rsp_msg": message}, status)


def digest(consent: str) -> str:
    return hashlib.sha256(consent.encode()).hexdigest()


def bundle_digest(consents: list[dict[str, str]]) -> bytes:
    """What one passkey assertion signs: every holder's tx_id with the hash of its consent."""
    canonical = json.dumps([[c["tx_id"], digest(c["consent"])] for c in consents], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).digest()


@router.post("/oauth/2.0/token", summary="IA101 CA 접근토큰 발급")
async def ca_token(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    if form.get("grant_type") != "client_credentials" or form.get("scope") != "ca":
        return _answer(
            {"error": "invalid_request", "error_description": "grant_type=client_credentials, scope=ca"}, 400
        )
    provider.check_rate(provider.client_limiter, f"ca:{form.get('client_id', '')}")
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    try:
        org_code = (await directory.verify_service_client(session, client_id, secret)).org_code
    except directory.InvalidClient:
        try:
            org_code = await directory.verify_support_client(session, client_id, secret)
        except directory.InvalidClient:
            return _answer(
                {"error": "invalid_client", "error_description": "client authentication failed"}, 401
            )
    kid, key = await provider.keyring.signer(session)
    now = int(time.time())
    token = jwt.encode(
        {"alg": "ES256", "kid": kid, "typ": "at+jwt"},
        {
            "iss": provider.issuer,
            "aud": provider.issuer + "/ca",
            "sub": client_id,
            "org": org_code,
            "scope": "ca",
            "iat": now,
            "exp": now + CA_TOKEN_LIFETIME,
            "jti": secrets.token_urlsafe(16),
        },
        key,
    )
    return _answer(
        {"token_type": "Bearer", "access_token": token, "expires_in": CA_TOKEN_LIFETIME, "scope": "ca"}
    )


async def _caller(request: Request, session: AsyncSession, provider: Provider) -> dict[str, Any] | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = await provider.keyring.decode(session, token)
    except (JoseError, ValueError):
        return None
    if (
        claims.get("aud") != provider.issuer + "/ca"
        or claims.get("scope") != "ca"
        or claims.get("exp", 0) < time.time()
    ):
        return None
    return claims


@router.post("/sign_request", summary="IA102 전자서명 요청")
async def sign_request(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    caller = await _caller(request, session, provider)
    if caller is None:
        return _fail(401, "40101", "잘못된 토큰")
    body = await request.json()
    consents = body.get("consent_list")
    if (
        not isinstance(consents, list)
        or not consents
        or not isinstance(body.get("user_ci"), str)
        or not isinstance(body.get("sign_tx_id"), str)
        or any(
            not isinstance(c, dict)
            or not isinstance(c.get("tx_id"), str)
            or not isinstance(c.get("consent"), str)
            for c in consents
        )
    ):
        return _fail(400, "40001", "sign_tx_id, user_ci, consent_list[{tx_id, consent}]가 필요합니다")
    now = utcnow()
    cert_tx_id = secrets.token_hex(20)
    await IdentityRepository(session).add(
        IdentitySignRequest(
            cert_tx_id=cert_tx_id,
            sign_tx_id=body["sign_tx_id"][:49],
            client_id=str(caller["sub"]),
            ci_digest=keyed_digest(provider.keys.digest_key, body["user_ci"]),
            title=str(body.get("request_title", "마이데이터 전송요구"))[:200],
            consents=json.dumps(
                [
                    {
                        "tx_id": c["tx_id"],
                        "consent_title": str(c.get("consent_title", "")),
                        "consent": c["consent"],
                    }
                    for c in consents
                ],
                ensure_ascii=False,
            ),
            consent_type=str(body.get("consent_type", "0")),
            signed=None,
            created_at=now,
            expires_at=now + SIGN_REQUEST_TTL,
            signed_at=None,
        )
    )
    return _answer(OK | {"sign_tx_id": body["sign_tx_id"], "cert_tx_id": cert_tx_id})


@router.post("/sign_result", summary="IA103 전자서명 결과 조회")
async def sign_result(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    caller = await _caller(request, session, provider)
    if caller is None:
        return _fail(401, "40101", "잘못된 토큰")
    body = await request.json()
    pending = await IdentityRepository(session).sign_request(str(body.get("cert_tx_id", "")))
    if pending is None or pending.client_id != caller["sub"] or pending.sign_tx_id != body.get("sign_tx_id"):
        return _fail(404, "40402", "서명 요청을 찾을 수 없습니다")
    if pending.signed is None:
        return _fail(409, "40301", "아직 서명되지 않았습니다")
    signed = json.loads(pending.signed)
    items = [
        {"tx_id": tx, "signed_consent": value, "signed_consent_len": str(len(value))}
        for tx, value in signed.items()
    ]
    return _answer(
        OK
        | {
            "cert_tx_id": pending.cert_tx_id,
            "signed_consent_cnt": str(len(items)),
            "signed_consent_list": items,
        }
    )


@router.post("/sign_verification", summary="IA104 전자서명 검증")
async def sign_verification(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    caller = await _caller(request, session, provider)
    if caller is None:
        return _fail(401, "40101", "잘못된 토큰")
    body = await request.json()
    tx_id = str(body.get("tx_id", ""))
    refused = _answer(OK | {"tx_id": tx_id, "result": "false"})
    try:
        claims = await provider.keyring.decode(session, str(body.get("signed_consent", "")))
    except (JoseError, ValueError):
        return refused
    if (
        claims.get("tx_id") != tx_id
        or claims.get("cert_tx_id") != body.get("cert_tx_id")
        or claims.get("consent_hash") != digest(str(body.get("consent", "")))
    ):
        return refused
    repo = IdentityRepository(session)
    pending = await repo.sign_request(str(claims["cert_tx_id"]))
    account = await repo.account_by_ci(pending.ci_digest) if pending else None
    if pending is None or pending.signed is None or account is None:
        return refused
    return _answer(
        OK | {"tx_id": tx_id, "result": "true", "user_ci": provider.keys.sealer.open(account.ci_sealed)}
    )


async def pending_sign_request(
    session: AsyncSession, provider: Provider, account: IdentityAccount, cert_tx_id: str
) -> IdentitySignRequest | None:
    request = await IdentityRepository(session).sign_request(cert_tx_id)
    expires = coerce_datetime(request.expires_at) if request else None
    if (
        request is None
        or request.signed is not None
        or expires is None
        or expires < utcnow()
        or request.ci_digest != account.ci_digest
    ):
        return None
    return request


async def signing_options(
    session: AsyncSession, provider: Provider, account: IdentityAccount, request: IdentitySignRequest
) -> dict[str, Any]:
    consents = json.loads(request.consents)
    started = await bound_challenge(
        session,
        provider.settings,
        account,
        purpose="ca-sign",
        digest=bundle_digest(consents),
        context=request.cert_tx_id,
    )
    return started | {"title": request.title, "consents": [c["consent_title"] for c in consents]}


async def sign(
    session: AsyncSession,
    provider: Provider,
    account: IdentityAccount,
    request: IdentitySignRequest,
    challenge_id: str,
    credential: dict[str, Any],
) -> None:
    """One passkey assertion signs the whole bundle; each holder gets its own signed consent."""
    repo = IdentityRepository(session)
    challenge = await repo.use_challenge(challenge_id, "ca-sign", utcnow())
    if challenge is None or challenge.context != request.cert_tx_id or challenge.subject != account.subject:
        raise PasskeyRefused("the signing expired; start again")
    await verify_own_assertion(session, provider.settings, account, challenge, credential)
    kid, key = await provider.keyring.signer(session)
    now = int(time.time())
    signed = {
        c["tx_id"]: jwt.encode(
            {"alg": "ES256", "kid": kid, "typ": "signed-consent+jwt"},
            {
                "iss": provider.issuer,
                "tx_id": c["tx_id"],
                "cert_tx_id": request.cert_tx_id,
                "consent_hash": digest(c["consent"]),
                "iat": now,
                "credential_id": credential.get("id"),
            },
            key,
        )
        for c in json.loads(request.consents)
    }
    request.signed, request.signed_at = json.dumps(signed), utcnow()
