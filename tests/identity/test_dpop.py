"""RFC 9449 DPoP proof checks, one test per checklist item (DP-1..DP-12) and FAPI's clock rule."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from samgak.identity import (
    InvalidDPoPProof,
    ReplayCache,
    UseDPoPNonce,
    access_token_hash,
    target_uri,
    verify_proof,
)

URL = "https://samgak.example/oidc/token"
NOW = 1_800_000_000


def proof(key: Any = None, *, alg: str = "ES256", header: dict[str, Any] | None = None, **claims: Any) -> str:
    key = key or ECKey.generate_key("P-256")
    body = {"htm": "POST", "htu": URL, "iat": NOW, "jti": uuid.uuid4().hex} | claims
    head = {"alg": alg, "typ": "dpop+jwt", "jwk": key.as_dict(private=False)} | (header or {})
    return jws.serialize_compact(head, json.dumps(body).encode(), key, algorithms=[alg])


def check(token: str | list[str], **kwargs: Any) -> Any:
    headers = token if isinstance(token, list) else [token]
    return verify_proof(
        headers,
        method=kwargs.pop("method", "POST"),
        url=kwargs.pop("url", URL),
        replay=kwargs.pop("replay", ReplayCache()),
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_valid_proof_gives_the_key_thumbprint() -> None:
    key = ECKey.generate_key("P-256")
    assert check(proof(key)).jkt == key.thumbprint()


def test_dp1_exactly_one_header() -> None:
    with pytest.raises(InvalidDPoPProof):
        check([])
    with pytest.raises(InvalidDPoPProof):
        check([proof(), proof()])


def test_dp2_not_a_jws() -> None:
    with pytest.raises(InvalidDPoPProof):
        check("not.a-jws")


def test_dp3_wrong_typ() -> None:
    with pytest.raises(InvalidDPoPProof, match="typ"):
        check(proof(header={"typ": "JWT"}))


@pytest.mark.parametrize("alg", ["HS256", "RS256", "none"])
def test_dp4_symmetric_or_weak_alg_rejected(alg: str) -> None:
    if alg == "HS256":
        token = jws.serialize_compact(
            {"alg": "HS256", "typ": "dpop+jwt", "jwk": {"kty": "oct"}},
            b"{}",
            OctKey.generate_key(256),
            algorithms=["HS256"],
        )
    elif alg == "RS256":
        token = proof(RSAKey.generate_key(2048), alg="RS256")
    else:
        head = (
            base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "dpop+jwt"}).encode())
            .decode()
            .rstrip("=")
        )
        token = f"{head}.e30."
    with pytest.raises(InvalidDPoPProof):
        check(token)


def test_eddsa_and_ps256_accepted() -> None:
    assert check(proof(OKPKey.generate_key("Ed25519"), alg="EdDSA")).jti
    assert check(proof(RSAKey.generate_key(2048), alg="PS256")).jti


def test_dp5_private_key_in_header_rejected() -> None:
    key = ECKey.generate_key("P-256")
    with pytest.raises(InvalidDPoPProof, match="public"):
        check(proof(key, header={"jwk": key.as_dict(private=True)}))


def test_dp6_signature_from_another_key_rejected() -> None:
    signer, claimed = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    with pytest.raises(InvalidDPoPProof, match="signature"):
        check(proof(signer, header={"jwk": claimed.as_dict(private=False)}))


def test_dp7_method_must_match() -> None:
    with pytest.raises(InvalidDPoPProof, match="htm"):
        check(proof(htm="GET"))


def test_dp8_uri_must_match_without_query() -> None:
    assert check(proof(htu="HTTPS://SAMGAK.EXAMPLE:443/oidc/token"), url=URL + "?x=1").jti
    with pytest.raises(InvalidDPoPProof, match="htu"):
        check(proof(htu="https://samgak.example/oidc/par"))
    assert target_uri("https://a.example/p?q#f") == "https://a.example/p"


@pytest.mark.parametrize(
    ("offset", "ok"), [(0, True), (10, True), (11, False), (61, False), (-59, True), (-61, False)]
)
def test_dp9_iat_window(offset: int, ok: bool) -> None:
    """FAPI 2.0 SP-AS-13: a proof up to 10 s ahead is accepted, more than 60 s ahead is not."""
    token = proof(iat=NOW + offset)
    if ok:
        assert check(token).iat == NOW + offset
    else:
        with pytest.raises(InvalidDPoPProof, match="iat"):
            check(token)


def test_dp10_jti_single_use() -> None:
    replay, token = ReplayCache(), proof()
    check(token, replay=replay)
    with pytest.raises(InvalidDPoPProof, match="already used"):
        check(token, replay=replay)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.integers(0, 30), st.integers(1, 40)), min_size=1, max_size=60
    )
)
def test_dp10_replay_cache_agrees_with_a_plain_model(claims: list[tuple[str, int, int]]) -> None:
    """Whatever order proofs arrive and expire in, a jti is refused exactly while a live claim
    holds it (the cache expires entries lazily; the model checks every claim)."""
    cache, model, now = ReplayCache(), {}, 0.0
    for jti, step, window in claims:
        now += step
        expected = model.get(jti, 0) <= now
        assert cache.claim(jti, now + window, now) is expected
        if expected:
            model[jti] = now + window
    assert len(cache) <= len(model)


def test_dp11_server_nonce() -> None:
    with pytest.raises(UseDPoPNonce) as refused:
        check(proof(), nonce="n-123")
    assert refused.value.nonce == "n-123" and refused.value.code == "use_dpop_nonce"
    assert check(proof(nonce="n-123"), nonce="n-123").jti


def test_dp12_access_token_hash_and_binding() -> None:
    key = ECKey.generate_key("P-256")
    token = "sgk_at_example"
    ok = proof(key, ath=access_token_hash(token), htm="GET")
    assert check(ok, method="GET", access_token=token, bound_jkt=key.thumbprint()).jkt == key.thumbprint()
    with pytest.raises(InvalidDPoPProof, match="ath"):
        check(
            proof(key, ath=access_token_hash("other"), htm="GET"),
            method="GET",
            access_token=token,
            bound_jkt=key.thumbprint(),
        )
    with pytest.raises(InvalidDPoPProof, match="bound"):
        check(
            proof(key, ath=access_token_hash(token), htm="GET"),
            method="GET",
            access_token=token,
            bound_jkt=ECKey.generate_key("P-256").thumbprint(),
        )


def test_real_clock_default() -> None:
    assert check(proof(iat=int(time.time())), now=None).jti
