"""Schemas of the directory: domain values (``Org``, ``Service``, …) and the 지원 API wire bodies.

Wire bodies follow standard 2.1: every value is a JSON string (counts ``"3"``, booleans
``"true"``), optional fields are omitted when unknown.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

OrgType = Literal["01", "02", "03", "04", "05", "06", "07", "99"]
OpType = Literal["I", "M", "D"]

HOLDER_ORG_TYPES = frozenset({"01", "02", "04"})
"""Org types that answer scheduled calls and so must publish non-peak windows (2.7)."""

DEFAULT_NP_TIMES = ("0000:0600", "2200:2400")
MIN_NP_MINUTES = 6 * 60
_NP_TIME = re.compile(r"^(\d{2})(\d{2}):(\d{2})(\d{2})$")
_SCOPE_TOKEN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def np_minutes(window: str) -> tuple[int, int]:
    """``"hhmm:hhmm"`` → (start, end) in minutes of the day; end may be ``2400``, never wraps."""
    match = _NP_TIME.match(window)
    if not match:
        raise ValueError(f"np_time must be hhmm:hhmm, got {window!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start >= 24 * 60 or end > 24 * 60 or start >= end:
        raise ValueError(f"np_time {window!r} is not a window within one day (split at 2400)")
    return start, end


def check_np_times(windows: list[str]) -> list[str]:
    """Non-peak windows (2.7): at most 3, disjoint, together at least 6 hours a day."""
    if len(windows) > 3:
        raise ValueError("at most 3 np_time windows")
    spans = sorted(np_minutes(w) for w in windows)
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError("np_time windows overlap")
    if windows and sum(end - start for start, end in spans) < MIN_NP_MINUTES:
        raise ValueError("np_time windows must total at least 6 hours a day")
    return windows


# --------------------------------------------------------------------------- domain


class OrgCreate(BaseModel):
    """An org to register or update (the portal's 기관 등록)."""

    org_code: str = Field(pattern=r"^[0-9A-Za-z]{10}$")
    org_type: OrgType = "01"
    org_name: str = Field(min_length=1, max_length=100)
    org_name_en: str | None = Field(default=None, max_length=100)
    industry: Literal["bank", "card", "telecom"] | None = None
    org_regno: str | None = Field(default=None, pattern=r"^\d{10}$")
    corp_regno: str | None = Field(default=None, pattern=r"^\d{13}$")
    base_url: str | None = Field(default=None, max_length=200)
    auth_type: Literal["01", "03"] | None = "03"
    np_times: list[str] = Field(default_factory=lambda: list(DEFAULT_NP_TIMES))
    is_rcv_org: bool = False

    @field_validator("np_times")
    @classmethod
    def _np_times(cls, value: list[str]) -> list[str]:
        return check_np_times(value)

    @model_validator(mode="after")
    def _holders_publish_windows(self) -> OrgCreate:
        if self.org_type in HOLDER_ORG_TYPES and not self.np_times:
            raise ValueError("a data holder must publish non-peak windows (np_time)")
        return self


class Org(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    org_code: str
    org_type: str
    org_name: str
    org_name_en: str | None
    industry: str | None
    org_regno: str | None
    corp_regno: str | None
    base_url: str | None
    auth_type: str | None
    np_times: list[str]
    is_rcv_org: bool
    op_type: OpType
    modified_at: datetime


class PublicOrg(BaseModel):
    """A member as the public directory shows it (``GET /api/directory/orgs``)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    org_code: str
    org_name: str
    org_name_en: str | None
    industry: str | None
    base_url: str | None


class ServiceCreate(BaseModel):
    """A service of a receiving org (지원-003): where its customers return, what it may ask for."""

    org_code: str = Field(pattern=r"^[0-9A-Za-z]{10}$")
    service_name: str = Field(min_length=1, max_length=100)
    redirect_uris: list[str] = Field(min_length=1, max_length=4)
    app_schemes: list[str] = Field(default_factory=list, max_length=10)
    scope: str = Field(min_length=1, max_length=1000)

    @field_validator("redirect_uris", "app_schemes")
    @classmethod
    def _uris(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value or len(value) > 100 or any(c.isspace() for c in value):
                raise ValueError(f"not an aNS(100) URI: {value!r}")
        return values

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        tokens = list(dict.fromkeys(value.split()))
        if not tokens or not all(_SCOPE_TOKEN.match(t) for t in tokens):
            raise ValueError("scope must be space-separated scope tokens")
        return " ".join(tokens)


class Service(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    org_code: str
    service_name: str
    client_id: str
    client_secret_digest: str
    redirect_uris: list[str]
    app_schemes: list[str]
    scope: str
    op_type: OpType
    modified_at: datetime


class SupportClient(BaseModel):
    """Support-API credentials of an org; ``client_secret`` only when just issued."""

    org_code: str
    client_id: str
    client_secret: str


class OrgChanges(BaseModel):
    """Orgs changed after a ``search_timestamp`` (2.6) and the timestamp to send next."""

    search_timestamp: str
    orgs: list[Org]


class ServiceChanges(BaseModel):
    search_timestamp: str
    services: list[Service]


# --------------------------------------------------------------------------- 지원 API wire bodies


class SupportToken(BaseModel):
    """지원-001 response (3.1)."""

    token_type: Literal["Bearer"] = "Bearer"
    access_token: str
    expires_in: int
    scope: str = "manage"


class SupportTokenClaims(BaseModel):
    iss: str
    aud: str
    jti: str
    iat: int
    exp: int
    scope: str


class _Rsp(BaseModel):
    rsp_code: str = "00000"
    rsp_msg: str = "성공"


def _flag(value: bool) -> str:
    return "true" if value else "false"


class NpTime(BaseModel):
    np_time: str


class MgmtOrg(BaseModel):
    """지원-002 ``org_list`` item."""

    op_type: str
    org_code: str
    org_type: str
    org_name: str
    org_name_en: str | None = None
    org_regno: str | None = None
    corp_regno: str | None = None
    is_rcv_org: str
    industry: str | None = None
    auth_type: str | None = None
    domain: str | None = None
    np_time_cnt: str
    np_time_list: list[NpTime]

    @classmethod
    def of(cls, org: Org) -> MgmtOrg:
        return cls(
            op_type=org.op_type,
            org_code=org.org_code,
            org_type=org.org_type,
            org_name=org.org_name,
            org_name_en=org.org_name_en,
            org_regno=org.org_regno,
            corp_regno=org.corp_regno,
            is_rcv_org=_flag(org.is_rcv_org),
            industry=org.industry,
            auth_type=org.auth_type,
            domain=org.base_url,
            np_time_cnt=str(len(org.np_times)),
            np_time_list=[NpTime(np_time=w) for w in org.np_times],
        )


class MgmtOrgList(_Rsp):
    """지원-002 response."""

    search_timestamp: str
    org_cnt: str
    org_list: list[MgmtOrg]

    @classmethod
    def of(cls, changes: OrgChanges) -> MgmtOrgList:
        orgs = [MgmtOrg.of(o) for o in changes.orgs]
        return cls(search_timestamp=changes.search_timestamp, org_cnt=str(len(orgs)), org_list=orgs)


class RedirectUri(BaseModel):
    redirect_uri: str


class AppScheme(BaseModel):
    app_scheme: str


class MgmtService(BaseModel):
    """지원-003 ``service_list`` item, with ``client_secret_digest`` in place of ``client_secret``."""

    service_name: str
    op_type: str
    client_id: str
    client_secret_digest: str
    redirect_uri_cnt: str
    redirect_uri_list: list[RedirectUri]
    app_scheme_cnt: str
    app_scheme_list: list[AppScheme]
    scope: str

    @classmethod
    def of(cls, service: Service) -> MgmtService:
        return cls(
            service_name=service.service_name,
            op_type=service.op_type,
            client_id=service.client_id,
            client_secret_digest=service.client_secret_digest,
            redirect_uri_cnt=str(len(service.redirect_uris)),
            redirect_uri_list=[RedirectUri(redirect_uri=u) for u in service.redirect_uris],
            app_scheme_cnt=str(len(service.app_schemes)),
            app_scheme_list=[AppScheme(app_scheme=s) for s in service.app_schemes],
            scope=service.scope,
        )


class MgmtServiceOrg(BaseModel):
    org_code: str
    service_cnt: str
    service_list: list[MgmtService]


class MgmtServiceList(_Rsp):
    """지원-003 response: changed services grouped by their org."""

    search_timestamp: str
    org_cnt: str
    org_list: list[MgmtServiceOrg]

    @classmethod
    def of(cls, changes: ServiceChanges) -> MgmtServiceList:
        by_org: dict[str, list[MgmtService]] = {}
        for service in changes.services:
            by_org.setdefault(service.org_code, []).append(MgmtService.of(service))
        orgs = [
            MgmtServiceOrg(org_code=code, service_cnt=str(len(items)), service_list=items)
            for code, items in sorted(by_org.items())
        ]
        return cls(search_timestamp=changes.search_timestamp, org_cnt=str(len(orgs)), org_list=orgs)


class RelyingPartyCreate(BaseModel):
    """A relying party of the identity provider (FAPI 2.0: confidential, ``private_key_jwt``)."""

    org_code: str = Field(pattern=r"^[0-9A-Za-z]{10}$")
    name: str = Field(min_length=1, max_length=100)
    redirect_uris: list[str] = Field(min_length=1, max_length=10)
    jwks: dict[str, Any]
    scope: str = Field(default="openid", max_length=1000)

    @field_validator("redirect_uris")
    @classmethod
    def _redirects(cls, values: list[str]) -> list[str]:
        """https only, except a native app's loopback (FAPI 2.0 §5.3.2.2-8, RFC 8252 §7.3); no fragment."""
        for value in values:
            parts = urlsplit(value)
            loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
            if (parts.scheme != "https" and not loopback) or parts.fragment or not parts.hostname:
                raise ValueError(f"not an acceptable redirect URI: {value!r}")
        return values


class RelyingParty(BaseModel):
    model_config = ConfigDict(frozen=True)

    client_id: str
    org_code: str
    name: str
    redirect_uris: list[str]
    jwks: dict[str, Any]
    scope: str
