"""The staff consoles' sign-in: one shared key, checked in constant time; the console's cookie
holds the key's digest (never the key), scoped to the console's path."""

from __future__ import annotations

from starlette.responses import Response

from samgak.kit.crypto import equals, secret_digest


def signed_in(cookie: str | None, key: str) -> bool:
    """Whether a console cookie was set by signing in with ``key`` (an empty key admits no one)."""
    return bool(key) and equals(cookie or "", secret_digest(key))


def sign_in(answer: Response, presented: str, key: str, *, cookie: str, path: str) -> bool:
    """Set the console cookie on ``answer`` when ``presented`` is the key; whether it was."""
    if not key or not equals(secret_digest(presented), secret_digest(key)):
        return False
    answer.set_cookie(cookie, secret_digest(key), httponly=True, samesite="strict", path=path)
    return True
