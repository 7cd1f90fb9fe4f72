"""본인확인 — identity verification by the mobile carrier (휴대폰 본인확인).

A registered service (scope ``carrier``) sends a person's name, birth date and phone number;
if they are those of a subscriber, the carrier texts a six-digit code to the phone. The person
types the code into the service, the service confirms it, and the carrier answers the
person's CI (연계정보) and name.

Invariants:

* **No enumeration.** Starting a verification answers the same whether or not the person is a
  subscriber: a non-match gets a verification too (``customer_id`` NULL) that can never succeed
  and no text message. Only the person holding the phone learns the outcome.
* **Few guesses.** A verification takes at most ``carrier_max_attempts`` wrong codes and lives
  ``carrier_code_ttl_seconds``; then it is locked for good, even for the right code. Wrong
  attempts are counted with one conditional UPDATE, so parallel guesses cannot exceed the limit.
  A phone gets at most :data:`MAX_PER_PHONE` verifications per :data:`PHONE_WINDOW`.
* **Once.** A verified verification cannot be confirmed again.
* The code is stored as an HMAC under the member's digest key, bound to its verification id:
  a plain SHA-256 of six digits would be undone by a million hashes.
* The text message is a row of ``gw_sms`` written in the same transaction (the outbox a real
  SMS gateway would drain after commit); the demo's phone page reads it.

Response codes (HTTP, ``rsp_code``): 200 ``00000``; 400 ``40001`` bad field or wrong code
(remaining attempts in ``rsp_msg``); 403 ``40301`` locked or expired, or already verified;
404 ``40402`` unknown verification; 429 ``42902`` too many verifications for the phone; and
the token codes of :mod:`samgak.institution.auth.service_call`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.institution.auth.service_call import ServiceCall
from samgak.institution.carrier.repository import CarrierRepository
from samgak.institution.errors import BadParameter, InvalidApiCall, MyDataError, RateLimited
from samgak.institution.models import GwCarrierVerification, GwSms
from samgak.institution.state import Institution
from samgak.institution.wire import read_str
from samgak.kit.crypto import equals
from samgak.kit.timeutil import parse_date, utcnow

MAX_PER_PHONE = 5
PHONE_WINDOW = timedelta(minutes=10)
CODE_DIGITS = 6
_PHONE = re.compile(r"^01[0-9]{8,9}$")
_CODE = re.compile(r"^[0-9]{6}$")


class VerificationLocked(MyDataError):
    """Too many wrong codes, or the code expired: the verification can never succeed."""

    status_code = 403
    rsp_code = "40301"
    rsp_msg = "인증 시도 횟수를 초과했거나 만료되었습니다"


class UnknownVerification(MyDataError):
    """No verification with this id for this service."""

    status_code = 404
    rsp_code = "40402"
    rsp_msg = "본인확인 요청이 없습니다"


@dataclass(frozen=True, slots=True)
class Started:
    verification_id: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class Verified:
    ci: str
    name: str


@dataclass(frozen=True, slots=True)
class Refused:
    """A refusal that still changes state (an attempt counted): answered, not raised, so it commits."""

    error: MyDataError


def read_phone(value: Any) -> str:
    """A mobile number as digits (``010-1234-5678`` and ``01012345678`` are the same)."""
    text = read_str(value, "phone", max_len=20) or ""
    digits = "".join(ch for ch in text if ch not in "- ")
    if not _PHONE.match(digits):
        raise BadParameter("phone 값이 올바르지 않습니다 (휴대폰 번호)")
    return digits


def read_birth_date(value: Any) -> str:
    text = read_str(value, "birth_date", max_len=8) or ""
    try:
        parse_date(text)
    except ValueError:
        raise BadParameter("birth_date 값이 올바르지 않습니다 (YYYYMMDD)") from None
    return text


def read_name(value: Any) -> str:
    text = (read_str(value, "name", max_len=40) or "").strip()
    if not text:
        raise BadParameter("name 값이 없습니다")
    return text


async def start_verification(call: ServiceCall, *, name: str, birth_date: str, phone: str) -> Started:
    """Send a one-time code to the phone if the person is a subscriber; the same answer either way."""
    institution, session = call.institution, call.session
    settings = institution.settings.institution
    repo = CarrierRepository.from_session(session)
    phone_digest = institution.digest(phone)
    now = utcnow()
    if await repo.recent_count(phone_digest, now - PHONE_WINDOW) >= MAX_PER_PHONE:
        raise RateLimited("같은 번호로 인증 요청이 너무 많습니다. 10분 후 다시 시도하세요")
    identity = await institution.core.identify(session, name=name, birth_date=birth_date, phone=phone)
    verification_id = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    # A non-subscriber's verification is bound to a secret nobody ever sees.
    sealed_code = code if identity is not None else secrets.token_urlsafe(32)
    await repo.add(
        GwCarrierVerification(
            id=verification_id,
            client_id=call.client_id,
            customer_id=identity.customer_id if identity else None,
            phone_digest=phone_digest,
            code_digest=_code_digest(call, verification_id, sealed_code),
            attempts=0,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.carrier_code_ttl_seconds),
        )
    )
    if identity is not None:
        await repo.add_sms(
            GwSms(
                phone_digest=phone_digest,
                created_at=now,
                body=f"[{institution.member.org_name}] 본인확인 인증번호 [{code}]를 입력해주세요.",
            )
        )
    return Started(verification_id, settings.carrier_code_ttl_seconds)


async def confirm_verification(call: ServiceCall, verification_id: str, code: Any) -> Verified | Refused:
    """Check the code the person typed; their CI and name on success."""
    institution, session = call.institution, call.session
    max_attempts = institution.settings.institution.carrier_max_attempts
    repo = CarrierRepository.from_session(session)
    verification = await repo.verification(verification_id)
    if verification is None or verification.client_id != call.client_id:
        raise UnknownVerification()
    if verification.verified_at is not None:
        raise InvalidApiCall("이미 완료된 본인확인입니다")
    now = utcnow()
    expires = verification.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    if verification.attempts >= max_attempts or expires <= now:
        raise VerificationLocked()
    typed = read_str(code, "code", max_len=CODE_DIGITS) or ""
    right = (
        verification.customer_id is not None
        and _CODE.match(typed) is not None
        and equals(_code_digest(call, verification_id, typed), verification.code_digest)
    )
    if right and verification.customer_id is not None:
        if not await repo.mark_verified(verification_id, max_attempts, now):
            raise VerificationLocked()
        ci = await institution.core.customer_ci(session, verification.customer_id)
        name = await repo.subscriber_name(verification.customer_id)
        return Verified(ci=ci, name=name or "")
    attempts = await repo.count_failure(verification_id, max_attempts)
    if attempts is None or attempts >= max_attempts:
        return Refused(VerificationLocked())
    return Refused(BadParameter(f"인증번호가 일치하지 않습니다 (남은 시도 {max_attempts - attempts}회)"))


async def phone_messages(
    institution: Institution, session: AsyncSession, phone: str, limit: int = 50
) -> list[GwSms]:
    """The demo phone's inbox: text messages to ``phone``, newest first."""
    return list(await CarrierRepository.from_session(session).messages(institution.digest(phone), limit))


def _code_digest(call: ServiceCall, verification_id: str, code: str) -> str:
    return call.institution.digest(f"carrier-code:{verification_id}:{code}")
