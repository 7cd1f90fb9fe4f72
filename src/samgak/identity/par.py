"""RFC 9126 — Pushed Authorization Requests, the only way in (FAPI 2.0 §5.3.2.2).

Checked here, each with its checklist id: client authenticated (SP-AZ-4, :mod:`.client_auth`);
no ``request_uri`` inside a PAR (SP-AZ-N3); ``response_type=code`` only (SP-AZ-1);
``redirect_uri`` required and equal to a registered one (SP-AZ-6, RFC 9700 §4.1); PKCE with
S256 required for every client (SP-AZ-5, RFC 7636 §4.2); scopes within the client's; nonce at
most 64 characters is supported (SP-AZ-14); a DPoP proof on the PAR request or ``dpop_jkt``
binds the future code to that key, and both must agree (SP-AS-12, RFC 9449 §10). The answer's
``expires_in`` is under 600 s (SP-AZ-12).
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse

from samgak.identity.dpop import verify_proof
from samgak.identity.errors import IdentityError, InvalidScope, UnsupportedResponseType
from samgak.identity.models import IdentityParRequest
from samgak.identity.provider import Provider, get_provider, unit_of_work
from samgak.identity.repository import IdentityRepository
from samgak.kit.timeutil import utcnow

router = APIRouter(tags=["identity"])
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
PAR_LIFETIME = 60  # seconds (FAPI 2.0: < 600)
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url(SHA-256) without padding


@router.post("/par", summary="Pushed authorization request (RFC 9126)", status_code=201)
async def push_authorization_request(
    request: Request,
    provider: Provider = Depends(get_provider),
    session: AsyncSession = Depends(unit_of_work, scope="function"),
) -> JSONResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    party = await provider.authenticated_client(session, form)
    if "request_uri" in form:
        raise IdentityError("request_uri cannot be pushed")
    if form.get("response_type") != "code":
        raise UnsupportedResponseType("response_type must be code")
    redirect_uri = form.get("redirect_uri")
    if not redirect_uri:
        raise IdentityError("redirect_uri is required")
    if redirect_uri not in party.redirect_uris:
        raise IdentityError("redirect_uri is not registered for this client")
    if form.get("code_challenge_method") != "S256" or not _CHALLENGE.match(form.get("code_challenge", "")):
        raise IdentityError("PKCE with code_challenge_method=S256 is required")
    scopes = form.get("scope", "").split()
    if not scopes or not set(scopes) <= set(party.scope.split()):
        raise InvalidScope("scope must be within the client's registered scope")
    if len(form.get("nonce", "")) > 255:
        raise IdentityError("nonce is too long")
    dpop_jkt = form.get("dpop_jkt") or None
    proofs = request.headers.getlist("dpop")
    if proofs:
        proof = verify_proof(proofs, method="POST", url=provider.url("/par"), replay=provider.replay)
        if dpop_jkt is not None and dpop_jkt != proof.jkt:
            raise IdentityError("dpop_jkt and the DPoP proof name different keys")
        dpop_jkt = proof.jkt
    reference = secrets.token_urlsafe(32)
    now = utcnow()
    kept = {k: form[k] for k in ("redirect_uri", "scope", "state", "nonce", "code_challenge") if k in form}
    await IdentityRepository(session).add_par_request(
        IdentityParRequest(
            id=reference,
            client_id=party.client_id,
            params=json.dumps(kept),
            dpop_jkt=dpop_jkt,
            created_at=now,
            expires_at=now + timedelta(seconds=PAR_LIFETIME),
            used_at=None,
        )
    )
    return JSONResponse(
        {"request_uri": REQUEST_URI_PREFIX + reference, "expires_in": PAR_LIFETIME},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )
