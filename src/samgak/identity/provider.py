"""The provider's runtime: its issuer identifier and its replay caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from samgak.config import Settings
from samgak.directory import RelyingParty
from samgak.identity.accounts import COOKIE, Keys, signed_in
from samgak.identity.carrier_client import CarrierClient
from samgak.identity.client_auth import RelyingParties, authenticate_client
from samgak.identity.dpop import ReplayCache
from samgak.identity.errors import TooManyRequests
from samgak.identity.repository import IdentityReads
from samgak.identity.service import KeyRing, key_sealer
from samgak.kit.crypto import Sealer, derive_key
from samgak.kit.http import new_client
from samgak.kit.ratelimit import RateLimiter
from samgak.kit.rawsql import Reader

CARRIER_SERVICE_NAME = "삼각 통합인증"


@dataclass
class Provider:
    settings: Settings
    issuer: str
    carrier: CarrierClient
    carrier_base_url: str
    keys: Keys
    keyring: KeyRing
    reads: IdentityReads
    show_demo_phone: bool
    replay: ReplayCache = field(default_factory=ReplayCache)
    parties: RelyingParties = field(default_factory=RelyingParties)
    # Credential endpoints are rate-limited: per client (PAR, token, revoke, introspect) and per
    # network address (carrier proofing, passkey sign-in), so guessing is slow and floods are cheap.
    client_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(20, 60))
    address_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0.2, 20))

    async def authenticated_client(self, session: AsyncSession, form: dict[str, str]) -> RelyingParty:
        """The relying party a token-, PAR-, revocation- or introspection-request authenticates as
        (``private_key_jwt``, :mod:`.client_auth`), with this provider's replay cache and limits."""
        return await authenticate_client(
            session,
            form,
            issuer=self.issuer,
            replay=self.replay,
            parties=self.parties,
            limiter=self.client_limiter,
        )

    def check_rate(self, limiter: RateLimiter, key: str) -> None:
        if not limiter.allow(key):
            raise TooManyRequests("too many requests; retry in a moment")

    def url(self, path: str) -> str:
        return f"{self.issuer}{path}"

    def demo_phone_page(self, phone: str) -> str | None:
        """Where the demo shows the carrier's text messages (never in production)."""
        if not self.show_demo_phone:
            return None
        return f"{self.carrier_base_url}/v1/carrier/demo/phone?{urlencode({'phone': phone})}"


def build_provider(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Provider:
    """The issuer is the platform's public base URL plus ``/oidc`` (FAPI 2.0: one exact string). The
    carrier is the alliance's telecom member; the provider's credentials there are set at startup."""
    carrier = next(m for m in settings.members if m.industry == "telecom")
    base = settings.institution_base_url(carrier)
    master = settings.secret_key.get_secret_value()
    return Provider(
        settings=settings,
        issuer=f"{settings.public_base_url}/oidc",
        carrier=CarrierClient(
            new_client(base, transport=transport), org_code=carrier.org_code, client_id="", client_secret=""
        ),
        carrier_base_url=base,
        keys=Keys(
            sealer=Sealer(derive_key(master, "identity/personal-data")),
            digest_key=derive_key(master, "identity/ci"),
        ),
        keyring=KeyRing(key_sealer(settings)),
        reads=IdentityReads(Reader(settings.database_url, pool_size=8)),
        show_demo_phone=settings.env != "prod",
        client_limiter=RateLimiter(settings.identity.client_rate_per_second, settings.identity.client_burst),
        address_limiter=RateLimiter(
            settings.identity.address_rate_per_second, settings.identity.address_burst
        ),
    )


async def get_provider(request: Request) -> Provider:
    provider: Provider = request.app.state.identity
    return provider


async def unit_of_work(request: Request) -> Any:
    """The request's unit of work on the platform database (depend with ``scope="function"``: it
    commits before the response is sent)."""
    async with request.app.state.platform_db.unit_of_work() as session:
        yield session


async def read_session(request: Request) -> Any:
    """A read-only session on the platform database (never committed; on SQLite it does not queue
    behind writers)."""
    async with request.app.state.platform_db.read_sessions() as session:
        yield session


@dataclass(frozen=True, slots=True)
class Person:
    """The person signed in at the alliance, as other platform modules may know them."""

    subject: str
    name: str
    ci: str
    phone: str
    birth_date: str  # YYYYMMDD


async def signed_in_person(request: Request) -> Person | None:
    """Who the request's alliance session belongs to (``None`` when not signed in)."""
    provider = request.app.state.identity
    async with request.app.state.platform_db.read_sessions() as session:
        found = await signed_in(session, request.cookies.get(COOKIE))
    if found is None:
        return None
    account = found[0]
    sealer = provider.keys.sealer
    return Person(
        subject=account.subject,
        name=account.name,
        ci=sealer.open(account.ci_sealed),
        phone=sealer.open(account.phone_sealed),
        birth_date=account.birth_date,
    )
