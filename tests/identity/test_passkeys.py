"""Passkeys: enrolment after carrier proofing, sign-in, and the checklist's refusals (PK-1..PK-4, PK-9)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_signup import prove, subscriber


async def enrol(client: httpx.AsyncClient, authenticator: SoftAuthenticator, **kwargs: Any) -> httpx.Response:
    options = (await client.post("/id/passkeys/register/options")).json()
    credential = authenticator.create(options["options"], **kwargs)
    return await client.post(
        "/id/passkeys/register", json={"challenge_id": options["challenge_id"], "credential": credential}
    )


async def sign_in(
    client: httpx.AsyncClient, authenticator: SoftAuthenticator, **kwargs: Any
) -> httpx.Response:
    options = (await client.post("/id/passkeys/sign-in/options")).json()
    assert options["options"]["userVerification"] == "required"  # PK-3
    credential = authenticator.get(options["options"], **kwargs)
    return await client.post(
        "/id/passkeys/sign-in",
        json={"challenge_id": options["challenge_id"], "credential": credential, "next": "/id/account"},
    )


async def test_enrol_then_sign_in_with_the_passkey(app: Any, alliance: Any) -> None:
    authenticator = SoftAuthenticator()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as proofed:
        assert (await prove(proofed, subscriber(alliance, 52))).status_code == 303
        enrolled = await enrol(proofed, authenticator)
        assert enrolled.status_code == 201, enrolled.text
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as fresh:
        signed = await sign_in(fresh, authenticator)
        assert signed.status_code == 200 and signed.json()["next"] == "/id/account"
        page = await fresh.get("/id/account")
        assert page.status_code == 200 and subscriber(alliance, 52).name in page.text
        # PK-4: a counter that goes backwards (a cloned authenticator) is refused
        cloned = await sign_in(fresh, authenticator, sign_count=1)
        assert cloned.status_code == 400 and cloned.json()["error"] == "access_denied"
        # PK-3: no user verification, PK-2: another origin
        assert (await sign_in(fresh, authenticator, uv=False)).status_code == 400
        assert (await sign_in(fresh, authenticator, origin="https://evil.example")).status_code == 400


async def test_pk_9_enrolment_needs_proofing(client: httpx.AsyncClient) -> None:
    response = await client.post("/id/passkeys/register/options")
    assert response.status_code == 401


async def test_pk_1_challenge_single_use(app: Any, alliance: Any) -> None:
    authenticator = SoftAuthenticator()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        assert (await prove(client, subscriber(alliance, 54))).status_code == 303
        assert (await enrol(client, authenticator)).status_code == 201
        options = (await client.post("/id/passkeys/sign-in/options")).json()
        first = authenticator.get(options["options"])
        ok = await client.post(
            "/id/passkeys/sign-in", json={"challenge_id": options["challenge_id"], "credential": first}
        )
        assert ok.status_code == 200
        replay = await client.post(
            "/id/passkeys/sign-in",
            json={
                "challenge_id": options["challenge_id"],
                "credential": authenticator.get(options["options"]),
            },
        )
        assert replay.status_code == 400


async def test_enrolment_without_user_verification_refused(app: Any, alliance: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        assert (await prove(client, subscriber(alliance, 56))).status_code == 303
        assert (await enrol(client, SoftAuthenticator(), uv=False)).status_code == 400
