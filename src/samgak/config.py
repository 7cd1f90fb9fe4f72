"""One typed settings root for every deployable (``SAMGAK_`` environment prefix).

Nested models map to nested variables with ``__``: ``SAMGAK_INSTITUTION__DATABASE_URL``,
``SAMGAK_CORE__SEED``. This is the only module that reads the environment.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Industry = Literal["bank", "card", "telecom"]


class MemberSettings(BaseModel):
    """One alliance member: an institution deployable with its own org code and database."""

    slug: str
    org_code: str = Field(pattern=r"^[0-9A-Za-z]{10}$")
    org_name: str
    org_name_en: str
    industry: Industry
    corp_regno: str
    runs_merchant_network: bool = False


DEFAULT_MEMBERS = [
    MemberSettings(
        slug="woori-bank",
        org_code="WRBK000020",
        org_name="우리은행",
        org_name_en="Woori Bank",
        industry="bank",
        corp_regno="1101110000020",
    ),
    MemberSettings(
        slug="k-bank",
        org_code="KBNK000089",
        org_name="케이뱅크",
        org_name_en="K bank",
        industry="bank",
        corp_regno="1101110000089",
    ),
    MemberSettings(
        slug="woori-card",
        org_code="WRCD000041",
        org_name="우리카드",
        org_name_en="Woori Card",
        industry="card",
        corp_regno="1101110000041",
    ),
    MemberSettings(
        slug="bc-card",
        org_code="BCCD000031",
        org_name="비씨카드",
        org_name_en="BC Card",
        industry="card",
        corp_regno="1101110000031",
        runs_merchant_network=True,
    ),
    MemberSettings(
        slug="kt",
        org_code="KTTC000030",
        org_name="KT",
        org_name_en="KT",
        industry="telecom",
        corp_regno="1101110000030",
    ),
]


class DirectorySettings(BaseModel):
    """The alliance directory (the portal's role)."""

    support_token_ttl_days: int = 365


class IdentitySettings(BaseModel):
    """The alliance identity provider (joint authentication)."""

    key_overlap_hours: int = Field(default=24, ge=0)  # a rotated key stays published this long
    passkey_rp_id: str = "localhost"  # WebAuthn relying-party id: a domain, never an IP address
    client_rate_per_second: float = 20.0  # PAR, token, revoke, introspect: per client
    client_burst: float = 60.0
    address_rate_per_second: float = 0.2  # carrier proofing and passkey sign-in: per network address
    address_burst: float = 20.0
    passkey_origins: list[str] = Field(default_factory=lambda: ["http://localhost:8000"])


class InstitutionSettings(BaseModel):
    """The data-holder deployable (one per member)."""

    database_url: str = "sqlite+aiosqlite:///var/institution-{slug}.db"
    access_token_ttl_days: int = Field(default=90, le=90)
    refresh_token_ttl_days: int = Field(default=365, le=365)
    authorization_code_ttl_seconds: int = Field(default=600, le=600)
    pool_size: int = 20
    carrier_code_ttl_seconds: int = 180
    carrier_max_attempts: int = 5
    demo_pin: str = "000000"
    request_timeout_seconds: float = 10.0
    rate_limit_per_second: float = 2000.0
    rate_limit_burst: float = 4000.0
    directory_url: str | None = None  # the portal's 지원 API base; public_base_url + "/portal" when unset
    ca_url: str | None = None  # the integrated-auth CA (IA101/IA104); public_base_url + "/ca" when unset
    portal_client_id: str = ""  # a member deployable's own 지원-001 credentials (serve-member)
    portal_client_secret: SecretStr = SecretStr("")
    combine_dir: str = "var/members/{slug}/combine"  # a member's own side of combinations (its key maps)
    agency_url: str | None = None  # the combination agency's API; public_base_url when unset


class MydataSettings(BaseModel):
    """The MyData service: the alliance's licensed operator (마이데이터사업자)."""

    service_name: str = "삼각 마이데이터"
    ca_code: str = "SAMGAKID01"  # the alliance identity's org code as the integrated-auth CA
    consent_days: int = Field(default=365, ge=1, le=365)  # 전송요구 validity (standard 2.7: ≤ 1 year)
    collect_months: int = Field(default=12, ge=1, le=12)  # first collection: 12 months back (2.7)
    holder_concurrency: int = Field(default=4, ge=1, le=16)  # calls in flight per holder and customer
    holder_connections: int = Field(default=32, ge=1, le=256)  # the pool to each holder
    schedule_seconds: float = Field(default=300, ge=0)  # scheduled-transmission sweep; 0 = off
    job_lease_seconds: float = Field(default=120, gt=0)  # a collection job left this long is taken again
    broker_url: str = "redis://127.0.0.1:6379/0"  # `samgak collect --workers`: jobs on a Redis stream


class PaymentsSettings(BaseModel):
    """MyPayment."""

    webhook_seconds: float = Field(default=5, ge=0)  # how often due webhooks are sent; 0 = off
    resume_seconds: float = Field(default=5, ge=0)  # how often the completer runs; 0 = off
    quiet_seconds: float = Field(default=30, gt=0)  # a pending instruction untouched this long is resumed
    request_minutes: int = Field(default=30, gt=0)  # a payment request not approved by then is cancelled
    demo_shop_key: SecretStr = SecretStr("")  # the demo shop's merchant API key (`samgak serve` reads var/)


class AnalyticsSettings(BaseModel):
    """Pseudonymized combination (the combination agency's role) and release review."""

    data_dir: str = "var/combine"  # inbox/ (members' exports), agency/ (linked, under review), releases/
    join_key: SecretStr = SecretStr(
        ""
    )  # the agency's HMAC key for join keys; derived from secret_key when unset
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"  # a real cluster: spark://host:7077, yarn, k8s://…
    models_dir: str = "var/models"  # versioned credit models (`samgak score train`)


class CoreSettings(BaseModel):
    """The deterministic synthetic core behind each institution."""

    seed: int = 20200820
    as_of: date | None = None  # the last day of generated history; today (KST) when unset
    history_years: int = 5


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMGAK_", env_nested_delimiter="__", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    public_base_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite+aiosqlite:///var/platform.db"
    secret_key: SecretStr = SecretStr("samgak-dev-only-secret-change-me")
    members: list[MemberSettings] = Field(default_factory=lambda: list(DEFAULT_MEMBERS))
    directory: DirectorySettings = DirectorySettings()
    identity: IdentitySettings = IdentitySettings()
    institution: InstitutionSettings = InstitutionSettings()
    mydata: MydataSettings = MydataSettings()
    payments: PaymentsSettings = PaymentsSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    # the staff consoles' key (offers, analytics and, in the demo, the members' combination pages);
    # empty: a random one each start, shown on the start page outside prod
    staff_key: SecretStr = SecretStr("")
    core: CoreSettings = CoreSettings()

    def member(self, slug_or_code: str) -> MemberSettings:
        for member in self.members:
            if slug_or_code in (member.slug, member.org_code):
                return member
        raise KeyError(slug_or_code)

    def institution_database_url(self, member: MemberSettings) -> str:
        return self.institution.database_url.format(slug=member.slug.replace("-", "_"))

    def institution_base_url(self, member: MemberSettings) -> str:
        return f"{self.public_base_url}/inst/{member.slug}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
