"""The one error base of samgak.

Every expected outcome is a subclass of :class:`SamgakError` carrying its HTTP status; each
deployable installs one handler that renders it in the API's own format. A 500 means a bug.
"""

from __future__ import annotations


class SamgakError(Exception):
    """An expected failure with the HTTP status it maps to."""

    status_code: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, status_code: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code


class NotFound(SamgakError):
    status_code = 404
    code = "not_found"


class Conflict(SamgakError):
    status_code = 409
    code = "conflict"


class Unauthorized(SamgakError):
    status_code = 401
    code = "unauthorized"
