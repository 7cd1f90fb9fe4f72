"""Single sign-on across two member apps (relying parties talking to the provider over HTTP) and
sign-out everywhere ending their sessions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import httpx

from tests.identity.test_signup import prove, subscriber


async def visit(client: httpx.AsyncClient, path: str, *, approve: bool = True) -> httpx.Response:
    """Follow redirects like a browser, approving a consent screen when one is shown."""
    response = await client.get(path)
    for _ in range(10):
        if response.status_code == 303:
            target = urlparse(response.headers["location"])
            response = await client.get(target.path + (f"?{target.query}" if target.query else ""))
        elif response.status_code == 200 and 'name="csrf"' in response.text and approve:
            reference = response.text.split('name="request" value="')[1].split('"')[0]
            csrf = response.text.split('name="csrf" value="')[1].split('"')[0]
            response = await client.post(
                "/oidc/authorize/decision", data={"request": reference, "csrf": csrf, "decision": "approve"}
            )
        else:
            return response
    raise AssertionError("too many redirects")


async def test_sign_in_once_open_both_apps_sign_out_everywhere(app: Any, alliance: Any) -> None:
    person = subscriber(alliance, 24)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as browser:
        assert (await prove(browser, person)).status_code == 303
        won = await visit(browser, "/apps/woori-won")
        assert won.status_code == 200 and person.name in won.text and "우리WON뱅킹" in won.text
        kt = await visit(browser, "/apps/kt-mobile")  # no second sign-in: the alliance session carries over
        assert kt.status_code == 200 and person.name in kt.text and "마이케이티" in kt.text
        again = await browser.get("/apps/woori-won")  # the app's own session
        assert again.status_code == 200 and person.name in again.text
        await browser.post("/id/signout")
        after = await visit(browser, "/apps/woori-won")
        assert after.status_code == 200 and "휴대폰 본인확인" in after.text  # back to the alliance sign-in
        assert person.name not in after.text


async def test_second_visit_skips_consent(app: Any, alliance: Any) -> None:
    person = subscriber(alliance, 24)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as browser:
        assert (await prove(browser, person)).status_code == 303
        assert (await visit(browser, "/apps/kt-mobile")).status_code == 200
        browser.cookies.delete("app_kt_mobile", path="/apps/kt-mobile")
        direct = await visit(browser, "/apps/kt-mobile", approve=False)  # no consent screen this time
        assert direct.status_code == 200 and person.name in direct.text


async def test_disconnect_one_app_from_the_account_page(app: Any, alliance: Any) -> None:
    person = subscriber(alliance, 30)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as browser:
        assert (await prove(browser, person)).status_code == 303
        assert (await visit(browser, "/apps/woori-won")).status_code == 200
        assert (await visit(browser, "/apps/kt-mobile")).status_code == 200
        account = await browser.get("/id/account")
        assert "우리WON뱅킹" in account.text and "마이케이티" in account.text
        won_grant = account.text.split("우리WON뱅킹")[1].split('action="/id/grants/')[1].split("/revoke")[0]
        await browser.post(f"/id/grants/{won_grant}/revoke")
        assert "우리WON뱅킹" not in (await browser.get("/id/account")).text
        kt = await browser.get("/apps/kt-mobile")  # the other app is untouched
        assert kt.status_code == 200 and person.name in kt.text
        won = await browser.get("/apps/woori-won")  # the disconnected app asks again
        assert won.status_code == 303
