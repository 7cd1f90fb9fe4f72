"""The language of a request: ``?lang=`` (remembered in a cookie), else the cookie, else Korean;
a text without an English entry stays Korean."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from samgak.kit.i18n import Catalogue, LanguageMiddleware

_ = Catalogue({"자산 {n}건": "{n} assets"})


async def page(request: object) -> PlainTextResponse:
    return PlainTextResponse(f"{_('자산 {n}건', n=3)} / {_('번역 없음')}")


app = LanguageMiddleware(Starlette(routes=[Route("/", page)]))


async def test_korean_first_english_on_request_and_remembered() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/")).text == "자산 3건 / 번역 없음"
        english = await client.get("/?lang=en")
        assert english.text == "3 assets / 번역 없음"  # no entry: the Korean text, never an error
        assert "lang=en" in english.headers["set-cookie"]
        assert (await client.get("/")).text == "3 assets / 번역 없음"  # the cookie remembers
        assert (await client.get("/?lang=xx")).text == "3 assets / 번역 없음"  # unknown: ignored
        assert (await client.get("/?lang=ko")).text == "자산 3건 / 번역 없음"
        assert (await client.get("/")).text == "자산 3건 / 번역 없음"
