"""Client authentication of the token and revoke endpoints (RFC 6749 §2.3.1, secret in the body)."""

from __future__ import annotations

from samgak.institution.directory_client import DirectoryUnavailable, RegisteredService
from samgak.institution.errors import OAuthError
from samgak.institution.state import Institution
from samgak.kit.crypto import equals, secret_digest


async def registered_service(institution: Institution, client_id: str | None) -> RegisteredService | None:
    if not client_id:
        return None
    try:
        return await institution.directory.service(client_id)
    except DirectoryUnavailable as exc:
        raise OAuthError(
            "temporarily_unavailable", "기관 정보를 확인할 수 없습니다. 잠시 후 다시 시도하세요", 503
        ) from exc


async def authenticate_client(
    institution: Institution, client_id: str | None, client_secret: str | None
) -> RegisteredService:
    """The registered service whose secret this is; ``invalid_client`` (401) otherwise."""
    service = await registered_service(institution, client_id)
    presented = secret_digest(client_secret or "")
    if service is None or not client_secret or not equals(presented, service.client_secret_digest):
        raise OAuthError("invalid_client", "클라이언트 인증에 실패했습니다", 401)
    if not institution.limiter.allow(f"token:{service.client_id}", cost=5):
        raise OAuthError("temporarily_unavailable", "요청이 너무 많습니다. 잠시 후 다시 시도하세요", 429)
    return service
