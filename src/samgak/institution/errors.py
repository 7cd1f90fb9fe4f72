"""The data holder's errors, in the standard's own shapes (MyData standard 첨부1 세부 응답코드).

::

    SamgakError
    ├── MyDataError            rsp_code/rsp_msg body (정보제공·공통·지원 APIs, transfer API)
    │   ├── BadParameter           400 40001
    │   ├── MissingHeader          400 40002
    │   ├── InvalidToken           401 40101
    │   ├── RevokedToken           401 40103
    │   ├── ScopeNotGranted        401 40104
    │   ├── AssetNotConsented      401 40105
    │   ├── UnknownOrg             403 40303
    │   ├── AssetInvalidState      403 40305
    │   ├── UnknownAsset           404 40402
    │   ├── UnknownCustomer        404 40403
    │   ├── ClosedAsset            404 40404
    │   ├── TransmissionLimit      429 42901
    │   ├── RateLimited            429 42902
    │   └── SystemFailure          500 5000x
    └── OAuthError             RFC 6749 §5.2 error/error_description body (개별인증, 통합인증-002)

FastAPI's own validation and 404/405 errors are rendered in the same shapes, never as
``{"detail": …}``.
"""

from __future__ import annotations

from typing import Any

from samgak.kit.errors import SamgakError


class MyDataError(SamgakError):
    rsp_code = "50004"
    rsp_msg = "알 수 없는 에러"
    status_code = 500

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.rsp_msg)


def _error(name: str, status: int, code: str, msg: str) -> type[MyDataError]:
    return type(
        name, (MyDataError,), {"status_code": status, "rsp_code": code, "rsp_msg": msg, "__doc__": msg}
    )


BadParameter = _error("BadParameter", 400, "40001", "잘못된 파라미터")
MissingHeader = _error("MissingHeader", 400, "40002", "헤더값 없음")
InvalidToken = _error("InvalidToken", 401, "40101", "잘못된 토큰")
RevokedToken = _error("RevokedToken", 401, "40103", "폐기된 토큰")
ScopeNotGranted = _error("ScopeNotGranted", 401, "40104", "해당 API 권한 없음")
AssetNotConsented = _error("AssetNotConsented", 401, "40105", "해당 자산 권한 없음")
InvalidApiCall = _error("InvalidApiCall", 403, "40301", "잘못된 API 요청")
UnknownOrg = _error("UnknownOrg", 403, "40303", "기관코드 확인 불가")
AssetInvalidState = _error("AssetInvalidState", 403, "40305", "잘못된 자산 요청")
NoSuchUrl = _error("NoSuchUrl", 404, "40401", "미존재 URL")
UnknownAsset = _error("UnknownAsset", 404, "40402", "미존재 자산")
UnknownCustomer = _error("UnknownCustomer", 404, "40403", "미존재 고객")
ClosedAsset = _error("ClosedAsset", 404, "40404", "해지 자산")
TransmissionLimit = _error("TransmissionLimit", 429, "42901", "정보제공 요청한도 초과")
RateLimited = _error("RateLimited", 429, "42902", "클라이언트 일시적 요청 제한")
SystemFailure = _error("SystemFailure", 500, "50001", "시스템장애")
ProcessingFailed = _error("ProcessingFailed", 500, "50002", "API 요청 처리 실패")
ProcessingTimeout = _error("ProcessingTimeout", 500, "50003", "처리시간 초과")


def error_responses(*errors: type[MyDataError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=``: each HTTP status with the rsp_codes it may carry, in the standard's shape."""
    schema = {"type": "object", "properties": {"rsp_code": {"type": "string"}, "rsp_msg": {"type": "string"}}}
    out: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = out.setdefault(
            error.status_code, {"description": "", "content": {"application/json": {"schema": schema}}}
        )
        line = f"`{error.rsp_code}` {error.rsp_msg}"
        entry["description"] = f"{entry['description']}; {line}" if entry["description"] else line
    return out


INFO_ERRORS = (
    BadParameter,
    MissingHeader,
    InvalidToken,
    RevokedToken,
    ScopeNotGranted,
    AssetNotConsented,
    UnknownOrg,
    AssetInvalidState,
    UnknownAsset,
    ClosedAsset,
    TransmissionLimit,
    RateLimited,
    SystemFailure,
    ProcessingFailed,
    ProcessingTimeout,
)
"""Every error a 정보제공 API may answer (declared on each info router)."""


class OAuthError(SamgakError):
    """RFC 6749 §4.1.2.1 / §5.2 error (``error``, ``error_description``)."""

    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__(description, status_code=status_code, code=error)
        self.error = error
        self.description = description
