"""One member deployable's runtime: its settings, database, core, token issuer and directory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from samgak.config import MemberSettings, Settings
from samgak.institution.auth.tokens import TokenIssuer
from samgak.institution.ca_client import CertificateAuthority
from samgak.institution.calllog import CallLog
from samgak.institution.core import Core
from samgak.institution.directory_client import Directory
from samgak.kit.crypto import keyed_digest
from samgak.kit.db import Database
from samgak.kit.ratelimit import RateLimiter
from samgak.kit.rawsql import Reader

if TYPE_CHECKING:  # the combine package builds on this module
    from samgak.institution.combine.agency_client import Agency

INDUSTRY_SCOPES = {
    "bank": ("bank.list", "bank.deposit", "bank.loan"),
    "card": ("card.list", "card.card", "card.point", "card.bill"),
    "telecom": ("telecom.list", "telecom.mgmt"),
}
ASSET_SCOPE = {"deposit": "bank.deposit", "loan": "bank.loan", "card": "card.card", "telecom": "telecom.mgmt"}


@dataclass
class Institution:
    member: MemberSettings
    settings: Settings
    db: Database
    reader: Reader
    core: Core
    tokens: TokenIssuer
    directory: Directory
    ca: CertificateAuthority
    digest_key: bytes
    limiter: RateLimiter
    login_limiter: RateLimiter
    call_log: CallLog
    agency: Agency | None = None  # the combination agency (pseudonymized exports)
    staff_key: str = ""  # the member's staff pages (its side of combinations); empty: closed

    @property
    def org_code(self) -> str:
        return self.member.org_code

    @property
    def industry(self) -> str:
        return self.member.industry

    @property
    def list_scope(self) -> str:
        return f"{self.member.industry}.list"

    @property
    def base_url(self) -> str:
        return self.settings.institution_base_url(self.member)

    def digest(self, value: str) -> str:
        return keyed_digest(self.digest_key, value)

    async def close(self) -> None:
        """Flush the call log and release every connection (a deployable's shutdown)."""
        await self.call_log.close()
        await self.reader.close()
        await self.directory.aclose()
        await self.ca.aclose()
        if self.agency is not None:
            await self.agency.aclose()
        await self.db.dispose()


async def get_institution(request: Request) -> Institution:
    """The member this request is for (async: a plain ``def`` dependency would cost a thread hop)."""
    institution: Institution = request.app.state.institution
    return institution
