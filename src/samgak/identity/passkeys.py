"""Passkeys (WebAuthn Level 3 with the ``webauthn`` package): enrolment and sign-in.

Checklist: PK-1 challenges are 32 random bytes, stored, single use, 2 minutes; PK-2 the origin
and RP id are checked exactly; PK-3 user verification is required (this is strong customer
authentication); PK-4 a signature counter that goes backwards is refused (a cloned
authenticator); PK-9 enrolment only for a person signed in after carrier proofing. A passkey
sign-in gives ``acr`` ``urn:samgak:acr:passkey`` and ``amr`` ``hwk user`` (RFC 8176).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from samgak.config import Settings
from samgak.identity.errors import IdentityError
from samgak.identity.models import IdentityAccount, IdentityChallenge, IdentityPasskey
from samgak.identity.repository import IdentityRepository
from samgak.kit.timeutil import utcnow

CHALLENGE_TTL = timedelta(minutes=2)
PASSKEY_ACR = "urn:samgak:acr:passkey"
PASSKEY_AMR = "hwk user"
RP_NAME = "삼각 통합인증"


class PasskeyRefused(IdentityError):
    """The authenticator's answer did not verify (wrong origin, no user verification, replay…)."""

    code = "access_denied"
    status_code = 400


async def _challenge(session: AsyncSession, purpose: str, subject: str | None) -> tuple[str, bytes]:
    raw = secrets.token_bytes(32)
    challenge_id = secrets.token_urlsafe(24)
    await IdentityRepository(session).add(
        IdentityChallenge(
            id=challenge_id,
            challenge=bytes_to_base64url(raw),
            purpose=purpose,
            subject=subject,
            expires_at=utcnow() + CHALLENGE_TTL,
            used_at=None,
        )
    )
    return challenge_id, raw


async def registration_options(
    session: AsyncSession, settings: Settings, account: IdentityAccount
) -> dict[str, Any]:
    existing = await IdentityRepository(session).passkeys_of(account.subject)
    challenge_id, raw = await _challenge(session, "register", account.subject)
    options = generate_registration_options(
        rp_id=settings.identity.passkey_rp_id,
        rp_name=RP_NAME,
        user_name=account.name,
        user_id=account.subject.encode(),
        user_display_name=account.name,
        challenge=raw,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in existing
        ],
    )
    return {"challenge_id": challenge_id, "options": json.loads(options_to_json(options))}


async def register(
    session: AsyncSession,
    settings: Settings,
    account: IdentityAccount,
    challenge_id: str,
    credential: dict[str, Any],
) -> IdentityPasskey:
    repo = IdentityRepository(session)
    now = utcnow()
    challenge = await repo.use_challenge(challenge_id, "register", now)
    if challenge is None or challenge.subject != account.subject:
        raise PasskeyRefused("the enrolment expired; start again")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge.challenge),
            expected_rp_id=settings.identity.passkey_rp_id,
            expected_origin=settings.identity.passkey_origins,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused(f"the passkey could not be verified: {exc}") from None
    passkey = IdentityPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        subject=account.subject,
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        backed_up=bool(verified.credential_backed_up),
        created_at=now,
        last_used_at=None,
    )
    await repo.add(passkey)
    return passkey


async def sign_in_options(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    """Options for a discoverable-credential sign-in (no user name typed, no enumeration)."""
    challenge_id, raw = await _challenge(session, "sign-in", None)
    options = generate_authentication_options(
        rp_id=settings.identity.passkey_rp_id,
        challenge=raw,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return {"challenge_id": challenge_id, "options": json.loads(options_to_json(options))}


async def sign_in(
    session: AsyncSession, settings: Settings, challenge_id: str, credential: dict[str, Any]
) -> IdentityAccount:
    repo = IdentityRepository(session)
    now = utcnow()
    challenge = await repo.use_challenge(challenge_id, "sign-in", now)
    passkey = await repo.passkey(str(credential.get("id", "")))
    if challenge is None or passkey is None:
        raise PasskeyRefused("unknown passkey or expired sign-in; start again")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge.challenge),
            expected_rp_id=settings.identity.passkey_rp_id,
            expected_origin=settings.identity.passkey_origins,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused(f"the passkey could not be verified: {exc}") from None
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, now
    account = await repo.account(passkey.subject)
    if account is None:
        raise PasskeyRefused("the account of this passkey is gone")
    return account


async def verify_own_assertion(
    session: AsyncSession,
    settings: Settings,
    account: IdentityAccount,
    challenge: IdentityChallenge,
    credential: dict[str, Any],
) -> IdentityPasskey:
    """An assertion by one of ``account``'s own passkeys (PK-5) over ``challenge``, user verified (PK-3);
    the passkey, its counter moved on (PK-4)."""
    passkey = await IdentityRepository(session).passkey(str(credential.get("id", "")))
    if passkey is None or passkey.subject != account.subject:
        raise PasskeyRefused("this passkey is not yours")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge.challenge),
            expected_rp_id=settings.identity.passkey_rp_id,
            expected_origin=settings.identity.passkey_origins,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused(f"the approval could not be verified: {exc}") from None
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, utcnow()
    return passkey


async def bound_challenge(
    session: AsyncSession,
    settings: Settings,
    account: IdentityAccount,
    *,
    purpose: str,
    digest: bytes,
    context: str,
) -> dict[str, Any]:
    """Options for an assertion whose challenge is ``digest`` (dynamic linking), own passkeys only."""
    repo = IdentityRepository(session)
    keys = await repo.passkeys_of(account.subject)
    if not keys:
        raise PasskeyRefused("register a passkey first")
    challenge_id = secrets.token_urlsafe(24)
    await repo.add(
        IdentityChallenge(
            id=challenge_id,
            challenge=bytes_to_base64url(digest),
            purpose=purpose,
            subject=account.subject,
            context=context,
            expires_at=utcnow() + CHALLENGE_TTL,
            used_at=None,
        )
    )
    options = generate_authentication_options(
        rp_id=settings.identity.passkey_rp_id,
        challenge=digest,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id)) for k in keys
        ],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return {"challenge_id": challenge_id, "options": json.loads(options_to_json(options))}
