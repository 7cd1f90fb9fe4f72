"""Shared pieces of the identity tests: a registered relying party and its private_key_jwt."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from samgak import directory

ISSUER = "http://localhost/oidc"
PAR = "/oidc/par"
REDIRECT = "https://app.wooribank.test/callback"


class Client:
    def __init__(self, client_id: str, key: ECKey) -> None:
        self.client_id, self.key = client_id, key

    def assertion(self, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": ISSUER,
            "iat": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        } | claims
        return jws.serialize_compact({"alg": "ES256", "kid": "k1"}, json.dumps(body).encode(), self.key)

    def form(self, assertion: str | None = None, **params: str) -> dict[str, str]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        return {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion or self.assertion(),
        } | params


async def register_client(app: Any, name: str = "우리WON뱅킹") -> Client:
    """A freshly registered relying party (no grants yet) with its private key."""
    key = ECKey.generate_key("P-256")
    public = key.as_dict(private=False) | {"kid": "k1"}
    async with app.state.platform_db.unit_of_work() as session:
        party = await directory.register_relying_party(
            session,
            directory.RelyingPartyCreate(
                org_code="WRBK000020",
                name=name,
                redirect_uris=[REDIRECT],
                jwks={"keys": [public]},
                scope="openid profile",
            ),
        )
    return Client(party.client_id, key)


@pytest.fixture(scope="module")
async def rp(app: Any) -> Client:
    return await register_client(app)
