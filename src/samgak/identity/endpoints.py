"""HTTP face of the identity provider (grows with issue #3: discovery, PAR, authorize, token…)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from samgak.identity import authorize, metadata, par, token
from samgak.identity.dpop import ALGORITHMS
from samgak.identity.errors import IdentityError, UseDPoPNonce
from samgak.identity.service import public_jwks
from samgak.kit.db import ReadSession

router = APIRouter(prefix="/oidc", tags=["identity"])


async def identity_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """OAuth errors in RFC 6749 §5.2 shape; ``use_dpop_nonce`` carries the nonce to use (RFC 9449 §8)."""
    assert isinstance(exc, IdentityError)
    headers = {"Cache-Control": "no-store"}
    if isinstance(exc, UseDPoPNonce):
        headers["DPoP-Nonce"] = exc.nonce
    if exc.status_code == 429:
        headers["Retry-After"] = "1"
    if exc.status_code == 401 and exc.code == "invalid_token":  # RFC 9449 §7.1
        headers["WWW-Authenticate"] = f'DPoP error="invalid_token", algs="{" ".join(ALGORITHMS)}"'
    return JSONResponse(
        {"error": exc.code, "error_description": exc.message}, exc.status_code, headers=headers
    )


async def _read_session(request: Request) -> Any:
    async with request.app.state.platform_db.read_sessions() as session:
        yield session


@router.get("/jwks", summary="JWK Set (RFC 7517) of the provider's signing keys")
async def jwks(session: ReadSession = Depends(_read_session)) -> JSONResponse:
    return JSONResponse(await public_jwks(session), headers={"Cache-Control": "public, max-age=300"})


for part in (par, authorize, token, metadata):
    router.include_router(part.router)
