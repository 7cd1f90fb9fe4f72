"""Strong customer authentication for payments: a passkey step-up with dynamic linking.

The WebAuthn challenge is the SHA-256 of the canonical transaction (amount in won, currency,
payee, the payment's reference and a random nonce), so the signature covers exactly what the
person saw (PK-8): a different amount or payee at verification is refused. Only the signed-in
person's own passkeys are allowed (PK-5), user verification is required (PK-3), and the answer is
an SCA receipt — a short-lived JWS by the provider's signing key that payments verify against
the JWKS, carrying the transaction and ``acr``/``amr`` (PK-10).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.config import Settings
from samgak.identity.errors import IdentityError
from samgak.identity.models import IdentityAccount
from samgak.identity.passkeys import (
    PASSKEY_ACR,
    PASSKEY_AMR,
    PasskeyRefused,
    bound_challenge,
    verify_own_assertion,
)
from samgak.identity.provider import Provider
from samgak.identity.repository import IdentityRepository
from samgak.kit.timeutil import utcnow

RECEIPT_LIFETIME = 300


def transaction(payload: dict[str, Any]) -> dict[str, Any]:
    """The transaction a step-up binds, checked and in canonical form."""
    amount = payload.get("amount")
    payee, reference = payload.get("payee"), payload.get("reference")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise IdentityError("amount must be a positive number of won")
    if not isinstance(payee, str) or not payee or not isinstance(reference, str) or not reference:
        raise IdentityError("payee and reference are required")
    return {"amount": amount, "currency": "KRW", "payee": payee[:100], "reference": reference[:64]}


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


async def step_up_options(
    session: AsyncSession, settings: Settings, account: IdentityAccount, payload: dict[str, Any]
) -> dict[str, Any]:
    bound = transaction(payload) | {"nonce": secrets.token_urlsafe(16)}
    started = await bound_challenge(
        session,
        settings,
        account,
        purpose="step-up",
        digest=hashlib.sha256(_canonical(bound)).digest(),
        context=json.dumps(bound, ensure_ascii=False, sort_keys=True),
    )
    return started | {"transaction": bound}


async def step_up(
    session: AsyncSession,
    settings: Settings,
    provider: Provider,
    account: IdentityAccount,
    payload: dict[str, Any],
) -> str:
    """Verify the assertion over exactly this transaction; the SCA receipt (JWS)."""
    challenge = await IdentityRepository(session).use_challenge(
        str(payload.get("challenge_id", "")), "step-up", utcnow()
    )
    if challenge is None or challenge.subject != account.subject or challenge.context is None:
        raise PasskeyRefused("the approval expired; start again")
    bound = json.loads(challenge.context)
    if transaction(payload) != {k: bound[k] for k in ("amount", "currency", "payee", "reference")}:
        raise PasskeyRefused("the transaction changed after it was shown; approve it again")
    await verify_own_assertion(session, settings, account, challenge, payload.get("credential") or {})
    kid, key = await provider.keyring.signer(session)
    issued = int(time.time())
    return jwt.encode(
        {"alg": "ES256", "kid": kid, "typ": "sca+jwt"},
        {
            "iss": provider.issuer,
            "sub": account.subject,
            "txn": bound,
            "acr": PASSKEY_ACR,
            "amr": PASSKEY_AMR.split(),
            "iat": issued,
            "exp": issued + RECEIPT_LIFETIME,
            "jti": secrets.token_urlsafe(16),
        },
        key,
    )


async def verify_receipt(session: AsyncSession, provider: Provider, receipt: str) -> dict[str, Any] | None:
    """The claims of an SCA receipt this provider issued and that has not expired (``sub``,
    ``txn`` with amount, payee and reference, ``jti``); ``None`` when it does not verify.
    Whether its transaction is the one being paid is the caller's to check."""
    try:
        claims = await provider.keyring.decode(session, receipt)
    except (JoseError, ValueError):
        return None
    if (  # only receipts carry ``txn``: an ID token cannot pass for one
        claims.get("iss") != provider.issuer
        or not isinstance(claims.get("txn"), dict)
        or int(claims.get("exp", 0)) < time.time()
    ):
        return None
    return claims
