"""Signing keys: ES256, published as a JWKS without private members, rotated with an overlap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from joserfc import jws

from samgak import identity
from samgak.config import Settings


async def test_jwks_rotation_keeps_the_old_key_for_the_overlap(
    app: Any, client: httpx.AsyncClient, settings: Settings
) -> None:
    sealer = identity.key_sealer(settings)
    async with app.state.platform_db.unit_of_work() as session:
        old_kid, old_key = await identity.signing_key(session, sealer)
        signed = jws.serialize_compact({"alg": "ES256", "kid": old_kid}, b"token", old_key)
        new_kid = await identity.rotate_signing_key(session, sealer, overlap=timedelta(hours=1))
        current_kid, _ = await identity.signing_key(session, sealer)
    assert current_kid == new_kid != old_kid
    jwks = (await client.get("/oidc/jwks")).json()["keys"]
    by_kid = {k["kid"]: k for k in jwks}
    assert {old_kid, new_kid} <= set(by_kid)
    assert all(not {"d", "p", "q"} & set(k) for k in jwks)
    assert all(k["alg"] == "ES256" and k["use"] == "sig" for k in jwks)
    from joserfc.jwk import import_key

    assert (
        jws.deserialize_compact(signed, import_key(by_kid[old_kid]), algorithms=["ES256"]).payload == b"token"
    )
    async with app.state.platform_db.unit_of_work() as session:
        await identity.rotate_signing_key(session, sealer, overlap=timedelta(0))
    remaining = {k["kid"] for k in (await client.get("/oidc/jwks")).json()["keys"]}
    assert new_kid not in remaining and old_kid in remaining  # zero overlap drops at once; the hour keeps


async def test_the_key_ring_verifies_a_key_rotated_by_another_process(app: Any, settings: Settings) -> None:
    """A running provider keeps its keys parsed; a token signed by a key it has not loaded yet (a
    rotation made by `samgak keys rotate`) still verifies, and a forged one does not."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey

    ring = identity.KeyRing(identity.key_sealer(settings), reload_interval=0)
    sealer = identity.key_sealer(settings)
    async with app.state.platform_db.unit_of_work() as session:
        kid, key = await ring.signer(session)
        first = jwt.encode({"alg": "ES256", "kid": kid}, {"n": 1}, key)
        assert (await ring.decode(session, first))["n"] == 1
        rotated = await identity.rotate_signing_key(session, sealer, overlap=timedelta(hours=1))
        new_kid, new_key = await identity.signing_key(session, sealer)
        assert new_kid == rotated
        second = jwt.encode({"alg": "ES256", "kid": new_kid}, {"n": 2}, new_key)
        assert (await ring.decode(session, second))["n"] == 2
        forged = jwt.encode({"alg": "ES256", "kid": new_kid}, {"n": 3}, ECKey.generate_key("P-256"))
        try:
            await ring.decode(session, forged)
        except (JoseError, ValueError):
            pass
        else:
            raise AssertionError("a token signed by an unknown key verified")
