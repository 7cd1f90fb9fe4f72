"""Two member apps of the demo — 우리WON뱅킹 and KT 마이케이티 — as relying parties of the alliance
identity: they show single sign-on (the second app opens without a second sign-in) and sign-out
everywhere (their sessions end when the grant is revoked).

They act as a member's app back end would, against the provider's public HTTP face only: PAR with
``private_key_jwt`` and a DPoP key, the authorization redirect, the code exchange, userinfo, and
introspection on every page view (so a revoked grant ends the app session at once). Their keys
live in memory: a restart registers them again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.templating import Jinja2Templates
from joserfc import jws
from joserfc.jwk import ECKey
from starlette.responses import RedirectResponse, Response

from samgak import analytics

router = APIRouter(prefix="/apps", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class MemberApp:
    slug: str
    name: str
    org_code: str
    color: str
    lends: bool = False  # a lender: it offers the loan pre-screen
    client_id: str = ""
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256"))
    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # state → verifier, nonce
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # app cookie → tokens, userinfo

    @property
    def cookie(self) -> str:
        return f"app_{self.slug.replace('-', '_')}"

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False) | {"kid": "app", "alg": "ES256", "use": "sig"}]}


def demo_apps() -> tuple[MemberApp, ...]:
    """The demo's member apps, each with a fresh key (one set per running platform)."""
    return (
        MemberApp("woori-won", "우리WON뱅킹", "WRBK000020", "#0067ac", lends=True),
        MemberApp("kt-mobile", "마이케이티", "KTTC000030", "#ed1c24"),
    )


class ProviderClient:
    """What an app needs of the provider, over HTTP."""

    def __init__(self, client: httpx.AsyncClient, issuer: str) -> None:
        self.client = client
        self.issuer = issuer

    def _assertion(self, app: MemberApp) -> dict[str, str]:
        now = int(time.time())
        claims = {
            "iss": app.client_id,
            "sub": app.client_id,
            "aud": self.issuer,
            "iat": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        }
        token = jws.serialize_compact({"alg": "ES256", "kid": "app"}, json.dumps(claims).encode(), app.key)
        return {
            "client_id": app.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": token,
        }

    def _dpop(self, app: MemberApp, method: str, url: str, access_token: str | None = None) -> str:
        body: dict[str, Any] = {"htm": method, "htu": url, "iat": int(time.time()), "jti": uuid.uuid4().hex}
        if access_token:
            body["ath"] = (
                base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).decode().rstrip("=")
            )
        header = {"alg": "ES256", "typ": "dpop+jwt", "jwk": app.key.as_dict(private=False)}
        return jws.serialize_compact(header, json.dumps(body).encode(), app.key)

    async def push(self, app: MemberApp, redirect_uri: str, state: str, challenge: str, nonce: str) -> str:
        response = await self.client.post(
            f"{self.issuer}/par",
            data=self._assertion(app)
            | {
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": "openid profile",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
            headers={"DPoP": self._dpop(app, "POST", f"{self.issuer}/par")},
        )
        response.raise_for_status()
        return str(response.json()["request_uri"])

    async def exchange(self, app: MemberApp, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.issuer}/token",
            data=self._assertion(app)
            | {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
            },
            headers={"DPoP": self._dpop(app, "POST", f"{self.issuer}/token")},
        )
        response.raise_for_status()
        tokens: dict[str, Any] = response.json()
        userinfo = await self.client.get(
            f"{self.issuer}/userinfo",
            headers={
                "Authorization": f"DPoP {tokens['access_token']}",
                "DPoP": self._dpop(app, "GET", f"{self.issuer}/userinfo", tokens["access_token"]),
            },
        )
        userinfo.raise_for_status()
        return tokens | {"userinfo": userinfo.json()}

    async def active(self, app: MemberApp, refresh_token: str) -> bool:
        response = await self.client.post(
            f"{self.issuer}/introspect", data=self._assertion(app) | {"token": refresh_token}
        )
        return response.status_code == 200 and bool(response.json().get("active"))


def _app(request: Request, slug: str) -> MemberApp | None:
    apps: tuple[MemberApp, ...] = request.app.state.member_apps
    return next((app for app in apps if app.slug == slug), None)


def _provider(request: Request) -> ProviderClient:
    provider: ProviderClient = request.app.state.member_apps_provider
    return provider


@router.get("/{slug}")
async def home(request: Request, slug: str) -> Response:
    app = _app(request, slug)
    if app is None:
        return Response("unknown app", status_code=404)
    provider = _provider(request)
    session = app.sessions.get(request.cookies.get(app.cookie, ""))
    if session is not None and not await provider.active(app, session["refresh_token"]):
        app.sessions.pop(request.cookies.get(app.cookie, ""), None)  # signed out everywhere
        session = None
    if session is None:
        return await _start(request, app, provider)
    others = [a for a in request.app.state.member_apps if a is not app]
    return templates.TemplateResponse(
        request,
        "member_app.html",
        {"app": app, "user": session["userinfo"], "others": others, "acr": session["acr"]},
    )


@router.get("/{slug}/loan")
async def loan(request: Request, slug: str) -> Response:
    """The member's loan pre-screen (대출 사전심사): the alliance's alternative credit score of the
    signed-in customer, its band and the reasons, from the data they linked for credit assessment."""
    app = _app(request, slug)
    if app is None or not app.lends:
        return Response("unknown app", status_code=404)
    session = app.sessions.get(request.cookies.get(app.cookie, ""))
    if session is None:
        return RedirectResponse(f"/apps/{app.slug}", status_code=303)
    decision, refusal = None, None
    try:
        decision = await analytics.prescreen(
            request.app.state.platform_db,
            request.app.state.settings,
            session["userinfo"]["sub"],
            org_code=app.org_code,
            channel="page",
        )
    except analytics.AnalyticsError as exc:
        refusal = exc
    return templates.TemplateResponse(
        request,
        "loan.html",
        {"app": app, "user": session["userinfo"], "decision": decision, "refusal": refusal},
    )


async def _start(request: Request, app: MemberApp, provider: ProviderClient) -> Response:
    settings = request.app.state.settings
    state, nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    redirect_uri = f"{settings.public_base_url}/apps/{app.slug}/callback"
    request_uri = await provider.push(app, redirect_uri, state, challenge, nonce)
    app.pending[state] = {"verifier": verifier, "nonce": nonce}
    query = urlencode({"client_id": app.client_id, "request_uri": request_uri})
    return RedirectResponse(f"{provider.issuer}/authorize?{query}", status_code=303)


@router.get("/{slug}/callback")
async def callback(request: Request, slug: str) -> Response:
    app = _app(request, slug)
    params = request.query_params
    pending = app.pending.pop(params.get("state", ""), None) if app else None
    provider = _provider(request)
    if app is None or pending is None or params.get("iss") != provider.issuer or "code" not in params:
        return RedirectResponse("/", status_code=303)  # unknown state, mix-up or a refusal: start over
    settings = request.app.state.settings
    tokens = await provider.exchange(
        app, params["code"], pending["verifier"], f"{settings.public_base_url}/apps/{app.slug}/callback"
    )
    cookie = secrets.token_urlsafe(24)
    claims = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[1] + "=="))
    app.sessions[cookie] = {
        "refresh_token": tokens["refresh_token"],
        "userinfo": tokens["userinfo"],
        "acr": claims.get("acr"),
    }
    response = RedirectResponse(f"/apps/{app.slug}", status_code=303)
    response.set_cookie(app.cookie, cookie, httponly=True, samesite="lax", path=f"/apps/{app.slug}")
    return response
