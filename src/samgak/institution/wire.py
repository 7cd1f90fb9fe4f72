"""The standard's wire format: every JSON value a string (첨부2), ``x-api-tran-id`` echoed.

Inputs are tolerant (a number may come as ``500`` or ``"500"``); outputs are strict.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from samgak.institution.errors import BadParameter

OK = {"rsp_code": "00000", "rsp_msg": "성공"}


def as_text(value: Any) -> Any:
    """A value as the standard sends it: strings for numbers and booleans, lists and maps kept."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return value


def respond(body: dict[str, Any], tran_id: str, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json; charset=UTF-8",
        headers={"x-api-tran-id": tran_id},
    )


def read_int(value: Any, name: str, *, low: int, high: int, default: int | None = None) -> int:
    """An integer parameter given as a number or a string, within ``[low, high]``."""
    if value is None or value == "":
        if default is None:
            raise BadParameter(f"{name} 값이 없습니다")
        return default
    if isinstance(value, bool):
        raise BadParameter(f"{name} 값이 올바르지 않습니다")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadParameter(f"{name} 값이 올바르지 않습니다: {value!r}") from None
    if not low <= number <= high:
        raise BadParameter(f"{name} 값은 {low}~{high} 사이여야 합니다")
    return number


def read_str(value: Any, name: str, *, required: bool = True, max_len: int = 1000) -> str | None:
    if value is None or value == "":
        if required:
            raise BadParameter(f"{name} 값이 없습니다")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadParameter(f"{name} 값이 올바르지 않습니다")
    text = str(value)
    if len(text) > max_len:
        raise BadParameter(f"{name} 값이 너무 깁니다")
    return text


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object of a POST body (standard 2.3: ``application/json; charset=UTF-8``); 40001 otherwise.

    Read with orjson rather than FastAPI's ``Body``: the body is a plain object of strings or
    numbers, and validating it twice (FastAPI, then the standard's own rules) costs time on every
    call. Routes document their fields with :func:`body_doc`."""
    try:
        value = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadParameter("요청 본문이 JSON 형식이 아닙니다") from None
    if not isinstance(value, dict):
        raise BadParameter("요청 본문은 JSON 객체여야 합니다")
    return value


def body_doc(*required: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """OpenAPI ``requestBody`` of a route that reads :func:`json_body` (values as strings or numbers)."""
    field = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": list(required),
                        "properties": {name: field for name in (*required, *optional)},
                    }
                }
            },
        }
    }


def query_doc(*required: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """OpenAPI ``parameters`` of a route that reads its query with ``Call.arg`` (all strings)."""
    return {
        "parameters": [
            {"name": name, "in": "query", "required": name in required, "schema": {"type": "string"}}
            for name in (*required, *optional)
        ]
    }
