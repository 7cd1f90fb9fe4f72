"""The directory's logic: orgs, registered services, relying parties, support clients and tokens.

Functions take the caller's session and never commit (they may flush): the request
dependency, the CLI command or the job runner owns the unit of work.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, OctKey
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.config import Settings
from samgak.directory.errors import (
    AlreadyRegistered,
    InsufficientScope,
    InvalidClient,
    InvalidParameter,
    InvalidToken,
    OrgNotFound,
    ServiceNotFound,
)
from samgak.directory.models import (
    DirectoryOrg,
    DirectoryRelyingParty,
    DirectoryService,
    DirectorySupportClient,
)
from samgak.directory.repository import Repository
from samgak.directory.schemas import (
    Org,
    OrgChanges,
    OrgCreate,
    PublicOrg,
    RelyingParty,
    RelyingPartyCreate,
    Service,
    ServiceChanges,
    ServiceCreate,
    SupportToken,
    SupportTokenClaims,
)
from samgak.kit.crypto import derive_key, equals, new_secret, secret_digest
from samgak.kit.timeutil import KST, format_dtime, utcnow

PORTAL_ORG_CODE = "SAMGAKPT01"
"""The portal's own org code: ``iss`` of support tokens (종합포털, org_type 07)."""

OPERATOR_ORG_CODE = "SAMGAKMD01"
"""The platform's MyData service org (마이데이터사업자, org_type 03)."""

SUPPORT_SCOPE = "manage"
CLIENT_SECRET_PREFIX = "sgk_cs_"
SEARCH_TIMESTAMP_SETTLE = timedelta(seconds=5)
"""How far the returned ``search_timestamp`` trails the clock, so that a change committed by a
transaction that was still running during the poll is delivered by the next poll (at least once)."""

_KID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_ORG_CODE = re.compile(r"^[0-9A-Za-z]{10}$")
_DUMMY_DIGEST = secret_digest("")


# --------------------------------------------------------------------------- orgs


async def register_org(session: AsyncSession, data: OrgCreate) -> Org:
    """Register an org or update it (op_type I, or M when something changed; a no-op otherwise)."""
    repo = Repository.from_session(session)
    fields = data.model_dump()
    row = await repo.get_org(data.org_code)
    if row is None:
        row = DirectoryOrg(**fields, op_type="I", modified_at=utcnow())
        await repo.add(row)
    elif row.op_type == "D" or any(getattr(row, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(row, key, value)
        row.op_type = "I" if row.op_type == "D" else "M"
        row.modified_at = utcnow()
        await session.flush()
    return Org.model_validate(row)


async def retire_org(session: AsyncSession, org_code: str) -> Org:
    """Withdraw an org from the alliance: op_type D, kept so pollers of 지원-002 learn of it."""
    row = await _live_org(Repository.from_session(session), org_code)
    row.op_type, row.modified_at = "D", utcnow()
    await session.flush()
    return Org.model_validate(row)


async def seed_alliance(session: AsyncSession, settings: Settings) -> None:
    """Register the members and the platform's MyData service org; idempotent."""
    for member in settings.members:
        await register_org(
            session,
            OrgCreate(
                org_code=member.org_code,
                org_type="01",
                org_name=member.org_name,
                org_name_en=member.org_name_en,
                industry=member.industry,
                corp_regno=member.corp_regno,
                base_url=settings.institution_base_url(member),
                auth_type="03",
            ),
        )
    await register_org(
        session,
        OrgCreate(
            org_code=OPERATOR_ORG_CODE,
            org_type="03",
            org_name="삼각 마이데이터",
            org_name_en="Samgak MyData",
            base_url=settings.public_base_url,
            auth_type=None,
            np_times=[],
            is_rcv_org=True,
        ),
    )


async def list_orgs(session: AsyncSession, search_timestamp: str | None = None) -> OrgChanges:
    """지원-002: orgs changed after ``search_timestamp`` (all of them for ``0`` or none)."""
    since = parse_search_timestamp(search_timestamp)
    next_timestamp = _next_search_timestamp()
    rows = await Repository.from_session(session).orgs_changed_since(since)
    return OrgChanges(search_timestamp=next_timestamp, orgs=[Org.model_validate(r) for r in rows])


async def public_orgs(session: AsyncSession) -> list[PublicOrg]:
    """The alliance members (정보제공자, org_type 01) by org code."""
    rows = await Repository.from_session(session).live_orgs_of_type("01")
    return [PublicOrg.model_validate(r) for r in rows]


async def get_public_org(session: AsyncSession, org_code: str) -> PublicOrg:
    row = await Repository.from_session(session).get_org(org_code)
    if row is None or row.op_type == "D" or row.org_type != "01":
        raise OrgNotFound(f"기관코드 확인 불가: {org_code}")
    return PublicOrg.model_validate(row)


# --------------------------------------------------------------------------- services


async def register_service(session: AsyncSession, data: ServiceCreate) -> tuple[Service, str]:
    """Register a service of a receiving org; the plaintext client secret is returned only here."""
    repo = Repository.from_session(session)
    org = await _live_org(repo, data.org_code)
    if not org.is_rcv_org:
        raise InvalidParameter(f"{data.org_code} is not a receiving org (is_rcv_org)")
    if await repo.get_service_by_name(data.org_code, data.service_name) is not None:
        raise AlreadyRegistered(f"service {data.service_name!r} of {data.org_code} is already registered")
    secret = new_secret(CLIENT_SECRET_PREFIX)
    now = utcnow()
    row = DirectoryService(
        **data.model_dump(),
        client_id=uuid.uuid4().hex,
        client_secret_digest=secret_digest(secret),
        op_type="I",
        created_at=now,
        modified_at=now,
    )
    await repo.add(row)
    return Service.model_validate(row), secret


async def issue_service_credentials(session: AsyncSession, data: ServiceCreate) -> tuple[str, str]:
    """Credentials for a platform service (registered on first use, its secret rotated after):
    ``(client_id, secret)``. A deployable calls this at start-up; the previous secret stops working."""
    repo = Repository.from_session(session)
    existing = await repo.get_service_by_name(data.org_code, data.service_name)
    if existing is None:
        service, secret = await register_service(session, data)
        return service.client_id, secret
    service, secret = await rotate_service_secret(session, existing.client_id)
    return service.client_id, secret


async def kept_service_credentials(
    session: AsyncSession, data: ServiceCreate, stored: tuple[str, str] | None
) -> tuple[str, str]:
    """A platform service's credentials kept across processes: ``stored`` while the directory
    accepts them, else issued anew (registered or rotated) for the caller to store."""
    if stored is not None:
        try:
            await verify_service_client(session, *stored)
        except InvalidClient:
            pass
        else:
            return stored
    return await issue_service_credentials(session, data)


async def register_relying_party(session: AsyncSession, data: RelyingPartyCreate) -> RelyingParty:
    """Register a relying party of the identity provider with its public keys (no shared secret)."""
    repo = Repository.from_session(session)
    await _live_org(repo, data.org_code)
    keys = data.jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise InvalidParameter("jwks must be a JWK Set with at least one key")
    public = {"keys": [_public_client_jwk(k) for k in keys]}
    row = DirectoryRelyingParty(
        client_id=f"rp_{uuid.uuid4().hex}",
        org_code=data.org_code,
        name=data.name,
        redirect_uris=data.redirect_uris,
        jwks=json.dumps(public, sort_keys=True),
        scope=data.scope,
        created_at=utcnow(),
    )
    await repo.add(row)
    return _relying_party(row)


async def get_relying_party(session: AsyncSession, client_id: str) -> RelyingParty | None:
    row = await Repository.from_session(session).get_relying_party(client_id)
    return None if row is None else _relying_party(row)


def _relying_party(row: DirectoryRelyingParty) -> RelyingParty:
    return RelyingParty(
        client_id=row.client_id,
        org_code=row.org_code,
        name=row.name,
        redirect_uris=list(row.redirect_uris),
        jwks=json.loads(row.jwks),
        scope=row.scope,
    )


def _public_client_jwk(jwk: Any) -> dict[str, Any]:
    """A client's signing key: EC P-256, Ed25519 or RSA ≥ 2048 bits (FAPI 2.0 §5.4), public part only."""
    if not isinstance(jwk, dict):
        raise InvalidParameter("each key must be a JWK object")
    if jwk.get("kty") == "RSA":
        if any(member in jwk for member in ("d", "p", "q")):
            raise InvalidParameter("jwk must not carry a private key")
        try:
            key = JWKRegistry.import_key(jwk)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidParameter("jwk is not a valid key") from exc
        if len(base64.urlsafe_b64decode(str(jwk["n"]) + "==")) * 8 < 2048:
            raise InvalidParameter("RSA keys must have at least 2048 bits")
        public = dict(key.as_dict(private=False))
    else:
        public = _public_jwk(jwk)
    if "kid" in jwk:
        public["kid"] = str(jwk["kid"])
    return public


async def rotate_service_secret(session: AsyncSession, client_id: str) -> tuple[Service, str]:
    """Issue a new client secret for a service (op_type M); the old one stops matching at once."""
    row = await Repository.from_session(session).get_service(client_id)
    if row is None or row.op_type == "D":
        raise ServiceNotFound(f"unknown client_id {client_id}")
    secret = new_secret(CLIENT_SECRET_PREFIX)
    row.client_secret_digest, row.op_type, row.modified_at = secret_digest(secret), "M", utcnow()
    await session.flush()
    return Service.model_validate(row), secret


async def list_services(
    session: AsyncSession, search_timestamp: str | None = None, *, org_code: str | None = None
) -> ServiceChanges:
    """지원-003: services changed after ``search_timestamp``, optionally of one org."""
    since = parse_search_timestamp(search_timestamp)
    next_timestamp = _next_search_timestamp()
    rows = await Repository.from_session(session).services_changed_since(since, org_code)
    return ServiceChanges(search_timestamp=next_timestamp, services=[Service.model_validate(r) for r in rows])


# --------------------------------------------------------------------------- support clients (지원-001)


async def register_support_client(session: AsyncSession, org_code: str) -> tuple[str, str]:
    """New support-API credentials for an org: ``(client_id, client_secret)``, the secret shown once."""
    repo = Repository.from_session(session)
    await _live_org(repo, org_code)
    client_id, secret = uuid.uuid4().hex, new_secret(CLIENT_SECRET_PREFIX)
    await repo.add(
        DirectorySupportClient(
            client_id=client_id,
            org_code=org_code,
            client_secret_digest=secret_digest(secret),
            created_at=utcnow(),
        )
    )
    return client_id, secret


async def reissue_support_client(session: AsyncSession, org_code: str) -> tuple[str, str]:
    """Replace every support-API credential of an org with a new one (a deployable's restart, a leak)."""
    await Repository.from_session(session).delete_support_clients(org_code)
    return await register_support_client(session, org_code)


async def verify_support_client(session: AsyncSession, client_id: str, client_secret: str) -> str:
    """The org code of a support client whose secret matches; :class:`InvalidClient` otherwise."""
    row = await Repository.from_session(session).get_support_client(client_id)
    presented = secret_digest(client_secret)
    if not equals(row.client_secret_digest if row else _DUMMY_DIGEST, presented) or row is None:
        raise InvalidClient("client authentication failed")
    org = await Repository.from_session(session).get_org(row.org_code)
    if org is None or org.op_type == "D":
        raise InvalidClient("client authentication failed")
    return row.org_code


async def verify_service_client(session: AsyncSession, client_id: str, client_secret: str) -> Service:
    """The registered service whose secret this is (constant-time); :class:`InvalidClient` otherwise."""
    row = await Repository.from_session(session).get_service(client_id)
    presented = secret_digest(client_secret)
    if not equals(row.client_secret_digest if row else _DUMMY_DIGEST, presented) or row is None:
        raise InvalidClient("client authentication failed")
    return Service.model_validate(row)


def _support_token_key(settings: Settings) -> OctKey:
    return OctKey.import_key(derive_key(settings.secret_key.get_secret_value(), "directory/support-token"))


def issue_support_token(settings: Settings, org_code: str) -> SupportToken:
    """지원-001 token: a JWS (3.1) from the portal to ``org_code``, scope ``manage``, ≤ 1 year."""
    ttl = int(timedelta(days=min(settings.directory.support_token_ttl_days, 365)).total_seconds())
    now = int(time.time())
    claims = {
        "iss": PORTAL_ORG_CODE,
        "aud": org_code,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + ttl,
        "scope": SUPPORT_SCOPE,
    }
    token = jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, _support_token_key(settings))
    return SupportToken(access_token=token, expires_in=ttl, scope=SUPPORT_SCOPE)


def verify_support_token(settings: Settings, token: str) -> SupportTokenClaims:
    """Check a support token's signature, issuer and expiry (40101) and its scope (40104)."""
    try:
        decoded = jwt.decode(token, _support_token_key(settings), algorithms=["HS256"])
        claims = SupportTokenClaims.model_validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise InvalidToken("잘못된 토큰") from exc
    if claims.iss != PORTAL_ORG_CODE or claims.exp <= time.time():
        raise InvalidToken("잘못된 토큰")
    if SUPPORT_SCOPE not in claims.scope.split():
        raise InsufficientScope("해당 API 권한 없음")
    return claims


# --------------------------------------------------------------------------- helpers


def parse_search_timestamp(value: str | None) -> datetime | None:
    """``search_timestamp`` N(14) ``YYYYMMDDhhmmss`` (KST) → aware datetime; ``0``/absent → None (2.6)."""
    if value is None or value.strip() in ("", "0") or (value.isdigit() and int(value) == 0):
        return None
    if len(value) != 14 or not value.isdigit():
        raise InvalidParameter("search_timestamp must be N(14) YYYYMMDDhhmmss")
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=KST)
    except ValueError as exc:
        raise InvalidParameter("search_timestamp must be N(14) YYYYMMDDhhmmss") from exc


def _next_search_timestamp() -> str:
    return format_dtime(utcnow() - SEARCH_TIMESTAMP_SETTLE)


async def _live_org(repo: Repository, org_code: str) -> DirectoryOrg:
    row = await repo.get_org(org_code)
    if row is None or row.op_type == "D":
        raise OrgNotFound(f"기관코드 확인 불가: {org_code}")
    return row


def _public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    kind = (jwk.get("kty"), jwk.get("crv"))
    if kind not in (("EC", "P-256"), ("OKP", "Ed25519")):
        raise InvalidParameter("jwk must be an EC P-256 or Ed25519 public key")
    if "d" in jwk:
        raise InvalidParameter("jwk must not carry a private key")
    try:
        key = JWKRegistry.import_key(jwk)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidParameter("jwk is not a valid key") from exc
    return dict(key.as_dict(private=False))
