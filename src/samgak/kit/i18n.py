"""Korean first, English on request: the language of a request and the words of a page.

A request's language is ``?lang=en`` or ``?lang=ko`` (kept in the ``lang`` cookie for the pages
after it), else that cookie, else Korean. Each module keeps an English catalogue keyed by its
Korean text; a :class:`Catalogue` answers the Korean text, or its English while an English
request is served (a context variable set by :class:`LanguageMiddleware`). Text without an entry
stays Korean, so a missing translation never breaks a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

LANGUAGES = ("ko", "en")
COOKIE = "lang"
_current: ContextVar[str] = ContextVar("samgak_language", default="ko")


def current_language() -> str:
    return _current.get()


class Catalogue:
    """``_("자산 {n}건", n=3)``: the Korean text, or its English entry, with ``values`` filled in."""

    def __init__(self, english: Mapping[str, str]) -> None:
        self.english = english

    def __call__(self, korean: str, /, **values: Any) -> str:
        text = self.english.get(korean, korean) if _current.get() == "en" else korean
        return text.format(**values) if values else text


class LanguageMiddleware:
    """Sets the language of each HTTP request (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0]
        chosen = asked if asked in LANGUAGES else _cookie_language(scope)
        token = _current.set(chosen)

        async def remember(message: Any) -> None:
            if message["type"] == "http.response.start" and asked in LANGUAGES:
                cookie = f"{COOKIE}={asked}; Path=/; Max-Age=31536000; SameSite=Lax"
                message = message | {
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                }
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            _current.reset(token)


def _cookie_language(scope: Any) -> str:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            morsel = SimpleCookie(value.decode("latin-1")).get(COOKIE)
            if morsel is not None and morsel.value in LANGUAGES:
                return morsel.value
    return "ko"
