"""Errors of the alliance directory, each rendering itself in the standard's own shape.

::

    SamgakError (kit)
    └── DirectoryError            {rsp_code, rsp_msg}        (지원 API, 첨부1 세부 응답코드)
        ├── InvalidParameter      400 40001
        ├── MissingHeader         400 40002
        ├── InvalidToken          401 40101
        ├── InsufficientScope     401 40104
        ├── OrgNotFound           404 40402
        ├── ServiceNotFound       404 40402
        ├── AlreadyRegistered     409 40001
        └── OAuthError            {error, error_description}  (지원-001, RFC 6749 5.2)
            ├── InvalidRequest        400 invalid_request
            ├── InvalidClient         401 invalid_client
            ├── UnsupportedGrantType  400 unsupported_grant_type
            └── InvalidScope          400 invalid_scope

:func:`directory_error_handler` renders any of them; it also echoes ``x-api-tran-id`` (2.3).
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import JSONResponse

from samgak.kit.errors import SamgakError


class DirectoryError(SamgakError):
    """An expected failure of the directory, as ``{rsp_code, rsp_msg}`` (standard 2.4, 2.8)."""

    status_code = 400
    code = "directory_error"
    rsp_code: ClassVar[str] = "40001"

    def body(self) -> dict[str, Any]:
        return {"rsp_code": self.rsp_code, "rsp_msg": self.message}


class InvalidParameter(DirectoryError):
    """40001 잘못된 파라미터."""

    code = "invalid_parameter"
    rsp_code = "40001"


class MissingHeader(DirectoryError):
    """40002 헤더값 없음 (e.g. no ``x-api-tran-id``)."""

    code = "missing_header"
    rsp_code = "40002"


class InvalidToken(DirectoryError):
    """40101 잘못된 토큰: absent, malformed, badly signed or expired support token."""

    status_code = 401
    code = "invalid_token"
    rsp_code = "40101"


class InsufficientScope(DirectoryError):
    """40104 해당 API 권한 없음: the token lacks the ``manage`` scope (3.2)."""

    status_code = 401
    code = "insufficient_scope"
    rsp_code = "40104"


class OrgNotFound(DirectoryError):
    status_code = 404
    code = "org_not_found"
    rsp_code = "40402"


class ServiceNotFound(DirectoryError):
    status_code = 404
    code = "service_not_found"
    rsp_code = "40402"


class AlreadyRegistered(DirectoryError):
    status_code = 409
    code = "already_registered"
    rsp_code = "40001"


class OAuthError(DirectoryError):
    """An error of the token endpoint (지원-001), in RFC 6749 section 5.2's shape."""

    error: ClassVar[str] = "invalid_request"

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.message}


class InvalidRequest(OAuthError):
    code = error = "invalid_request"


class InvalidClient(OAuthError):
    status_code = 401
    code = error = "invalid_client"


class UnsupportedGrantType(OAuthError):
    code = error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    code = error = "invalid_scope"


async def directory_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Render a :class:`DirectoryError`; install with ``app.add_exception_handler(DirectoryError, …)``.

    Tolerant of any other :class:`SamgakError` (rendered as 40001-style ``rsp_code``/``rsp_msg``)
    so that it can also be installed more broadly.
    """
    if isinstance(exc, DirectoryError):
        status, body = exc.status_code, exc.body()
    elif isinstance(exc, SamgakError):
        status, body = exc.status_code, {"rsp_code": f"{exc.status_code}01", "rsp_msg": exc.message}
    else:  # pragma: no cover - a bug; let the server's 500 path see it
        raise exc
    headers = {}
    tran_id = request.headers.get("x-api-tran-id")
    if tran_id:
        headers["x-api-tran-id"] = tran_id
    return JSONResponse(body, status_code=status, headers=headers)
