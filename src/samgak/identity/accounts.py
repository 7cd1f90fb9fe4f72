"""Alliance accounts: carrier proofing (sign-up and, until passkeys, sign-in) and browser sessions.

A person is identified by the CI the carrier returns (found by a keyed digest, kept sealed).
Proving again with the same CI signs into the same account — that is also the recovery path.
Sessions are random secrets in an HttpOnly cookie; only their digest is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.identity.carrier_client import CarrierClient, CarrierRefused
from samgak.identity.models import IdentityAccount, IdentityProofing, IdentitySession
from samgak.identity.repository import IdentityRepository
from samgak.kit.crypto import Sealer, keyed_digest, secret_digest
from samgak.kit.timeutil import coerce_datetime, utcnow

PROOFING_TTL = timedelta(minutes=5)
SESSION_TTL = timedelta(hours=12)
COOKIE = "samgak_session"  # the alliance session (HttpOnly; only its digest is stored)
CARRIER_ACR = "urn:samgak:acr:carrier-otp"  # one factor: possession of the phone (RFC 8176 "sms")


@dataclass(frozen=True, slots=True)
class Keys:
    sealer: Sealer
    digest_key: bytes


async def start_proofing(
    session: AsyncSession,
    carrier: CarrierClient,
    keys: Keys,
    *,
    name: str,
    birth_date: str,
    phone: str,
    next_url: str,
) -> str:
    """Ask the carrier to text a code; the proofing id the code page continues with."""
    verification_id = await carrier.start(name=name, birth_date=birth_date, phone=phone)
    proofing_id = secrets.token_urlsafe(24)
    now = utcnow()
    await IdentityRepository(session).add(
        IdentityProofing(
            id=proofing_id,
            verification_id=verification_id,
            name=name,
            birth_date=birth_date,
            phone_sealed=keys.sealer.seal(phone),
            next_url=next_url,
            created_at=now,
            expires_at=now + PROOFING_TTL,
            used_at=None,
        )
    )
    return proofing_id


async def pending_proofing(session: AsyncSession, proofing_id: str) -> IdentityProofing | None:
    proofing = await IdentityRepository(session).proofing(proofing_id)
    expires = coerce_datetime(proofing.expires_at) if proofing else None
    if proofing is None or proofing.used_at is not None or expires is None or expires < utcnow():
        return None
    return proofing


async def finish_proofing(
    session: AsyncSession, carrier: CarrierClient, keys: Keys, proofing: IdentityProofing, code: str
) -> IdentityAccount:
    """Confirm the code with the carrier; the account of the proven CI (created on first proof)."""
    proven = await carrier.confirm(proofing.verification_id, code)
    repo = IdentityRepository(session)
    now = utcnow()
    proofing.used_at = now
    digest = keyed_digest(keys.digest_key, proven.ci)
    account = await repo.account_by_ci(digest)
    phone = keys.sealer.open(proofing.phone_sealed)
    if account is None:
        account = IdentityAccount(
            subject=secrets.token_urlsafe(32),
            ci_digest=digest,
            ci_sealed=keys.sealer.seal(proven.ci),
            name=proven.name,
            birth_date=proofing.birth_date,
            phone_sealed=keys.sealer.seal(phone),
            created_at=now,
            proven_at=now,
        )
        await repo.add(account)
    else:
        account.phone_sealed, account.proven_at = keys.sealer.seal(phone), now
    return account


async def subjects_of(session: AsyncSession, keys: Keys, cis: list[str]) -> list[str]:
    """The subjects of the people with these CIs who have an alliance account (others dropped)."""
    found: dict[str, str] = {}
    for start in range(0, len(cis), 1000):
        digests = [keyed_digest(keys.digest_key, ci) for ci in cis[start : start + 1000]]
        found |= await IdentityRepository(session).subjects_by_ci(digests)
    return sorted(set(found.values()))


async def open_session(session: AsyncSession, account: IdentityAccount, *, acr: str, amr: str) -> str:
    """A new browser session; the cookie value (only its digest is stored)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    await IdentityRepository(session).add(
        IdentitySession(
            id_digest=secret_digest(secret),
            subject=account.subject,
            acr=acr,
            amr=amr,
            auth_time=now,
            expires_at=now + SESSION_TTL,
            revoked_at=None,
        )
    )
    return secret


def is_live(browser: IdentitySession | None) -> bool:
    expires = coerce_datetime(browser.expires_at) if browser else None
    return browser is not None and browser.revoked_at is None and expires is not None and expires >= utcnow()


async def live_session(session: AsyncSession, cookie: str | None) -> IdentitySession | None:
    """The browser session behind a session cookie, while it is live."""
    if not cookie:
        return None
    browser = await IdentityRepository(session).browser_session(secret_digest(cookie))
    return browser if is_live(browser) else None


async def signed_in(
    session: AsyncSession, cookie: str | None
) -> tuple[IdentityAccount, IdentitySession] | None:
    """The account and session behind a session cookie, while it is live."""
    browser = await live_session(session, cookie)
    account = await IdentityRepository(session).account(browser.subject) if browser else None
    return (account, browser) if account and browser else None


async def sign_out_everywhere(session: AsyncSession, subject: str) -> None:
    """End every browser session and every member app's grant (their tokens stop working at once)."""
    repo = IdentityRepository(session)
    now = utcnow()
    await repo.revoke_sessions(subject, now)
    await repo.revoke_grants_of(subject, now)


__all__ = [
    "CARRIER_ACR",
    "COOKIE",
    "CarrierRefused",
    "Keys",
    "finish_proofing",
    "is_live",
    "live_session",
    "open_session",
    "pending_proofing",
    "sign_out_everywhere",
    "signed_in",
    "start_proofing",
]
