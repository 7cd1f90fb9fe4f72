"""The holder's call log: every API call with its ``x-api-tran-id`` and ``x-api-type``.

The standard makes ``x-api-tran-id`` the thread that ties one call together across the
operator, relay and holder when a customer complains or an incident is traced (standard 2.3),
and the 지원 statistics count calls by ``x-api-type``. Writing a row inside every request would
put a write on the read path, so :class:`CallEnvelope` only appends to a buffer and
:class:`CallLog` writes the buffer in one insert about once a second, outside any request; a
crash loses at most that second of log, never a response.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from samgak.institution.errors import ProcessingTimeout
from samgak.institution.repository import add_api_calls
from samgak.institution.wire import respond
from samgak.kit.db import Database
from samgak.kit.timeutil import utcnow

log = logging.getLogger(__name__)
UNLOGGED_PREFIXES = ("/docs", "/redoc", "/openapi.json")


class CallLog:
    def __init__(self, db: Database, *, interval: float = 1.0, max_buffer: int = 50_000) -> None:
        self.db = db
        self.interval = interval
        self.max_buffer = max_buffer
        self._buffer: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    def record(self, row: dict[str, Any]) -> None:
        if len(self._buffer) < self.max_buffer:
            self._buffer.append(row)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._buffer:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        rows, self._buffer = self._buffer, []
        if not rows:
            return
        try:
            await add_api_calls(self.db.write_engine, rows)
        except Exception:  # the log must never take the API down with it
            log.exception("could not write %d call-log rows", len(rows))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()


class CallEnvelope:
    """Pure ASGI middleware around every call of a holder (no task, no body read):

    * the deadline — a request still running after ``seconds`` is cancelled (its transaction rolls
      back) and answered ``50003 처리시간 초과`` in the standard's shape;
    * the call log — method, API, ``x-api-tran-id``, ``x-api-type``, status and caller go to
      :class:`CallLog`.
    """

    def __init__(self, app: ASGIApp, call_log: CallLog, seconds: float) -> None:
        self.app = app
        self.call_log = call_log
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        headers = dict(scope.get("headers", []))
        tran_id = headers.get(b"x-api-tran-id", b"").decode("latin-1")
        try:
            async with asyncio.timeout(self.seconds):
                await self.app(scope, receive, watching_send)
        except TimeoutError:
            if status:
                raise
            status = 500
            body = {
                "rsp_code": ProcessingTimeout.rsp_code,
                "rsp_msg": "처리시간을 초과했습니다. 잠시 후 다시 시도하세요",
            }
            await respond(body, tran_id, 500)(scope, receive, send)
        finally:
            root = scope.get("root_path", "")
            path = scope["path"][len(root) :] if root and scope["path"].startswith(root) else scope["path"]
            if not path.startswith(UNLOGGED_PREFIXES):
                self.call_log.record(
                    {
                        "tran_id": tran_id[:25],
                        "client_org_code": scope.get("state", {}).get("client_org_code"),
                        "method": scope["method"],
                        "api": path[:120],
                        "api_type": headers.get(b"x-api-type", b"").decode("latin-1")[:12] or None,
                        "status": status or 500,
                        "called_at": utcnow(),
                    }
                )
