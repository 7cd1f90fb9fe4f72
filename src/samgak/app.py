"""Assemble the platform — and, for the demo, every member's institution deployable with it.

``create_app()`` builds engines and session makers but connects nothing at import time; the
lifespan seeds the directory, gives each institution its support-API credentials and disposes
every engine at shutdown. Institutions are mounted under ``/inst/{slug}`` with their own
database; they reach the directory only over HTTP (``institution.directory_url``).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from samgak import analytics, directory, identity, mydata, offers, payments, web
from samgak.config import Settings, get_settings
from samgak.institution.app import build_institution, create_institution_app
from samgak.institution.ca_client import HttpCertificateAuthority
from samgak.institution.combine import HttpAgency
from samgak.institution.directory_client import HttpDirectory
from samgak.institution.state import Institution
from samgak.kit.db import Database
from samgak.kit.http import new_client
from samgak.kit.i18n import LanguageMiddleware


def directory_url(settings: Settings) -> str:
    return settings.institution.directory_url or f"{settings.public_base_url}/portal"


def ca_url(settings: Settings) -> str:
    return settings.institution.ca_url or f"{settings.public_base_url}/ca"


def create_app(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The whole alliance in one app. ``transport`` routes institution → directory calls (tests)."""
    settings = settings or get_settings()
    platform_db = Database(settings.database_url)
    staff_key = settings.staff_key.get_secret_value() or secrets.token_urlsafe(18)
    institutions: list[tuple[Institution, HttpDirectory]] = []
    for member in settings.members:
        member_directory, ca, agency = member_clients(settings, member.org_code, transport=transport)
        institutions.append(
            (
                build_institution(
                    settings, member, directory=member_directory, ca=ca, agency=agency, staff_key=staff_key
                ),
                member_directory,
            )
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with platform_db.unit_of_work() as session:
            await directory.seed_alliance(session, settings)
            for institution, member_directory in institutions:
                client_id, secret = await directory.reissue_support_client(session, institution.org_code)
                member_directory.client_id, member_directory.client_secret = client_id, secret
            carrier_client_id, carrier_secret = await directory.issue_service_credentials(
                session,
                directory.ServiceCreate(
                    org_code=directory.OPERATOR_ORG_CODE,
                    service_name=identity.CARRIER_SERVICE_NAME,
                    redirect_uris=[f"{settings.public_base_url}/id/start"],
                    scope="carrier",
                ),
            )
            provider.carrier.client_id, provider.carrier.client_secret = carrier_client_id, carrier_secret
            await mydata.ensure_credentials(session, mydata_service)
            await payments.ensure_credentials(session, payments_service)
            await payments.open_accounts(session, payments_service)
            for member_app in member_apps:  # the demo's member apps, as relying parties
                party = await directory.register_relying_party(
                    session,
                    directory.RelyingPartyCreate(
                        org_code=member_app.org_code,
                        name=member_app.name,
                        jwks=member_app.public_jwks(),
                        redirect_uris=[f"{settings.public_base_url}/apps/{member_app.slug}/callback"],
                        scope="openid profile",
                    ),
                )
                member_app.client_id = party.client_id
        schedule = (
            asyncio.create_task(
                mydata.run_schedule(platform_db, mydata_service, settings.mydata.schedule_seconds)
            )
            if settings.mydata.schedule_seconds > 0
            else None
        )
        delivery = (
            asyncio.create_task(
                payments.run_delivery(platform_db, payments_service.sealer, settings.payments.webhook_seconds)
            )
            if settings.payments.webhook_seconds > 0
            else None
        )
        completion = (
            asyncio.create_task(
                payments.run_completion(
                    platform_db,
                    payments_service,
                    settings.payments.resume_seconds,
                    settings.payments.quiet_seconds,
                )
            )
            if settings.payments.resume_seconds > 0
            else None
        )
        yield
        for task in (schedule, delivery, completion):
            if task is not None:
                task.cancel()
        await provider.carrier.client.aclose()
        await provider.reads.reader.close()
        await mydata_service.close()
        await payments_service.close()
        await apps_client.aclose()
        for institution, _ in institutions:
            await institution.close()
        await platform_db.dispose()

    app = FastAPI(
        title="samgak — the alliance platform",
        description="삼각: MyData, joint authentication, MyPayment, partner offers and analytics of the alliance.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(LanguageMiddleware)
    app.state.settings = settings
    app.state.platform_db = platform_db
    app.state.institutions = [institution for institution, _ in institutions]
    provider = identity.build_provider(settings, transport=transport)
    app.state.identity = provider
    mydata_service = mydata.build_mydata(settings, ca_url=ca_url(settings), transport=transport)
    app.state.mydata = mydata_service
    payments_service = payments.build_payments(settings, transport=transport)
    app.state.payments = payments_service
    apps_client = new_client(transport=transport)
    app.state.member_apps_provider = web.ProviderClient(apps_client, provider.issuer)
    member_apps = web.demo_apps()
    app.state.staff_key = staff_key
    app.state.shop = web.Shop(
        apps_client, settings.public_base_url, settings.payments.demo_shop_key.get_secret_value()
    )
    app.state.member_apps = member_apps
    app.add_exception_handler(directory.DirectoryError, directory.directory_error_handler)
    app.add_exception_handler(identity.IdentityError, identity.identity_error_handler)
    app.add_exception_handler(payments.PaymentsError, payments.payments_error_handler)
    app.add_exception_handler(offers.OffersError, offers.offers_error_handler)
    app.add_exception_handler(analytics.AnalyticsError, analytics.analytics_error_handler)
    app.include_router(directory.router)
    app.include_router(identity.router)
    app.include_router(identity.pages_router)
    app.include_router(identity.well_known_router)
    app.include_router(identity.ca_router)
    app.include_router(mydata.router)
    app.include_router(mydata.api)
    app.include_router(payments.api)
    app.include_router(payments.pages)
    app.include_router(offers.api)
    app.include_router(offers.router)
    app.include_router(analytics.api)
    app.include_router(analytics.scoring_api)
    app.include_router(analytics.router)
    app.include_router(web.router)
    app.include_router(web.member_apps_router)
    app.include_router(web.shop_router)
    for institution, _ in institutions:
        app.mount(f"/inst/{institution.member.slug}", create_institution_app(institution))
    return app


def member_clients(
    settings: Settings,
    org_code: str,
    *,
    client_id: str = "",
    client_secret: str = "",
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[HttpDirectory, HttpCertificateAuthority, HttpAgency]:
    """A member's HTTP clients of the platform: the directory (지원 APIs), the integrated-auth CA
    and the combination agency, all authenticated with the member's portal credentials."""
    member_directory = HttpDirectory(
        new_client(directory_url(settings), transport=transport),
        org_code=org_code,
        client_id=client_id,
        client_secret=client_secret,
    )
    return (
        member_directory,
        HttpCertificateAuthority(new_client(ca_url(settings), transport=transport), member_directory),
        HttpAgency(
            new_client(settings.institution.agency_url or settings.public_base_url, transport=transport),
            member_directory,
        ),
    )


def create_member_app(
    settings: Settings, slug: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """One member's deployable on its own, as production runs it: its database, and the directory
    and CA reached over HTTP with the member's own 지원-001 credentials (``institution.portal_client_*``)."""
    member = settings.member(slug)
    member_directory, ca, agency = member_clients(
        settings,
        member.org_code,
        client_id=settings.institution.portal_client_id,
        client_secret=settings.institution.portal_client_secret.get_secret_value(),
        transport=transport,
    )
    institution = build_institution(
        settings,
        member,
        directory=member_directory,
        ca=ca,
        agency=agency,
        staff_key=settings.staff_key.get_secret_value(),
    )
    app = create_institution_app(institution)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await institution.close()

    app.router.lifespan_context = lifespan
    return app


def migrations_path(name: str) -> Path:
    """Where the Alembic environment ``platform`` or ``institution`` lives."""
    return Path(__file__).parent / "migrations" / name
