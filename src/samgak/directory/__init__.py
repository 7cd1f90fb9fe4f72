"""The alliance directory — the MyData portal's role (마이데이터 종합포털) for the alliance.

It keeps the member orgs (정보제공자) with their org codes, industries, endpoints and non-peak
windows; the registered services of receiving orgs with their client credentials; every org's
credentials for the support APIs; and the relying parties of the alliance identity. It serves them
through the portal's 지원 APIs (standard 3.6): 지원-001 token, 지원-002 orgs, 지원-003 services.

Deliberate deviation from the standard: 지원-003 publishes ``client_secret_digest`` (hex
SHA-256 of the secret) where the real portal sends the plaintext ``client_secret``. Secrets are
stored hashed everywhere in samgak (house style 16), so the directory cannot send what it does
not keep; a data holder checks a presented secret by comparing ``sha256(secret)`` with the
digest in constant time (``samgak.kit.crypto.secret_digest`` and ``equals``).

Other samgak addition: ``org_name_en`` in 지원-002 items.

Mounting: ``app.include_router(router)`` at the root;
``app.add_exception_handler(DirectoryError, directory_error_handler)``; ``app.state.platform_db``
(a ``samgak.kit.db.Database`` migrated with ``samgak.migrations.platform``) and
``app.state.settings``.
"""

from samgak.directory.endpoints import get_read_session, get_session, router
from samgak.directory.errors import (
    AlreadyRegistered,
    DirectoryError,
    InsufficientScope,
    InvalidClient,
    InvalidParameter,
    InvalidToken,
    MissingHeader,
    OAuthError,
    OrgNotFound,
    ServiceNotFound,
    directory_error_handler,
)
from samgak.directory.schemas import (
    DEFAULT_NP_TIMES,
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
    check_np_times,
)
from samgak.directory.service import (
    OPERATOR_ORG_CODE,
    PORTAL_ORG_CODE,
    SUPPORT_SCOPE,
    get_public_org,
    get_relying_party,
    issue_service_credentials,
    issue_support_token,
    kept_service_credentials,
    list_orgs,
    list_services,
    public_orgs,
    register_org,
    register_relying_party,
    register_service,
    register_support_client,
    reissue_support_client,
    retire_org,
    rotate_service_secret,
    seed_alliance,
    verify_service_client,
    verify_support_client,
    verify_support_token,
)

__all__ = [
    "DEFAULT_NP_TIMES",
    "OPERATOR_ORG_CODE",
    "PORTAL_ORG_CODE",
    "SUPPORT_SCOPE",
    "AlreadyRegistered",
    "DirectoryError",
    "InsufficientScope",
    "InvalidClient",
    "InvalidParameter",
    "InvalidToken",
    "MissingHeader",
    "OAuthError",
    "Org",
    "OrgChanges",
    "OrgCreate",
    "OrgNotFound",
    "PublicOrg",
    "RelyingParty",
    "RelyingPartyCreate",
    "Service",
    "ServiceChanges",
    "ServiceCreate",
    "ServiceNotFound",
    "SupportToken",
    "SupportTokenClaims",
    "check_np_times",
    "directory_error_handler",
    "get_public_org",
    "get_read_session",
    "get_relying_party",
    "get_session",
    "issue_service_credentials",
    "issue_support_token",
    "kept_service_credentials",
    "list_orgs",
    "list_services",
    "public_orgs",
    "register_org",
    "register_relying_party",
    "register_service",
    "register_support_client",
    "reissue_support_client",
    "retire_org",
    "rotate_service_secret",
    "router",
    "seed_alliance",
    "verify_service_client",
    "verify_support_client",
    "verify_support_token",
]
