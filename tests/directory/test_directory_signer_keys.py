"""Interim integrated-auth signer keys: registration, look-up over the 지원 API, revocation."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from joserfc.jwk import ECKey, OKPKey, RSAKey

from samgak.directory import (
    AlreadyRegistered,
    InvalidParameter,
    SignerKeyNotFound,
    get_signer_key,
    register_signer_key,
    revoke_signer_key,
)
from samgak.kit.db import Database

CI = "w1xOZ3Vu5Y3mQ0f5xS8Ue4yAqWc7vBNDYtZ2C1fJkLsP9hRrTqG6oEiVaXnKdM0b" * 1


async def test_signer_key_round_trip(
    seeded: Database, client: httpx.AsyncClient, mgmt_headers: dict[str, str]
) -> None:
    ec = ECKey.generate_key("P-256")
    async with seeded.unit_of_work() as session:
        key = await register_signer_key(session, "sgk-ec-1", "SAMGAKCA01", CI, ec.as_dict(private=False))
    assert key.subject_ci_digest == hashlib.sha256(CI.encode()).hexdigest()
    assert key.status == "active"

    response = await client.get("/portal/v1/mgmts/signer-keys/sgk-ec-1", headers=mgmt_headers)
    assert response.status_code == 200
    assert response.headers["x-api-tran-id"] == mgmt_headers["x-api-tran-id"]
    body = response.json()
    assert (body["rsp_code"], body["kid"], body["ca_code"], body["status"]) == (
        "00000",
        "sgk-ec-1",
        "SAMGAKCA01",
        "active",
    )
    assert body["subject_ci_digest"] == key.subject_ci_digest
    assert body["jwk"] == ec.as_dict(private=False) | {"kid": "sgk-ec-1"}
    assert CI not in response.text

    async with seeded.unit_of_work() as session:
        await revoke_signer_key(session, "sgk-ec-1")
    revoked = await client.get("/portal/v1/mgmts/signer-keys/sgk-ec-1", headers=mgmt_headers)
    assert revoked.json()["status"] == "revoked"

    missing = await client.get("/portal/v1/mgmts/signer-keys/nope", headers=mgmt_headers)
    assert missing.status_code == 404
    assert missing.json()["rsp_code"] == "40402"


async def test_signer_key_rules(seeded: Database) -> None:
    ed = OKPKey.generate_key("Ed25519")
    async with seeded.unit_of_work() as session:
        key = await register_signer_key(session, "sgk-ed-1", "SAMGAKCA01", CI, ed.as_dict(private=False))
    async with seeded.read_sessions() as session:
        assert await get_signer_key(session, "sgk-ed-1") == key
        with pytest.raises(SignerKeyNotFound):
            await get_signer_key(session, "sgk-ed-2")
    bad = [
        ("sgk-ed-1", ed.as_dict(private=False), AlreadyRegistered),
        ("sgk-ec-p", ECKey.generate_key("P-256").as_dict(private=True), InvalidParameter),
        ("sgk-ec-384", ECKey.generate_key("P-384").as_dict(private=False), InvalidParameter),
        ("sgk-rsa", RSAKey.generate_key(2048).as_dict(private=False), InvalidParameter),
        ("sgk-junk", {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, InvalidParameter),
        ("bad kid/", ed.as_dict(private=False), InvalidParameter),
    ]
    for kid, jwk, error in bad:
        async with seeded.unit_of_work() as session:
            with pytest.raises(error):
                await register_signer_key(session, kid, "SAMGAKCA01", CI, jwk)
