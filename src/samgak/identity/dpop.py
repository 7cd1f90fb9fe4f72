"""RFC 9449 — OAuth 2.0 Demonstrating Proof of Possession (DPoP): checking a proof.

The one check every DPoP-protected endpoint of the alliance runs (token endpoint, PAR, resource
servers), item by item (checklist ``DP-1``..``DP-12``, RFC 9449 §4.3):

DP-1 exactly one ``DPoP`` header · DP-2 a compact JWS · DP-3 ``typ`` is ``dpop+jwt`` · DP-4 an
asymmetric, allow-listed ``alg`` (never ``none``) · DP-5 the ``jwk`` header is a public key ·
DP-6 the signature verifies with it · DP-7 ``htm`` is the request method · DP-8 ``htu`` is the
request URI without query and fragment · DP-9 ``iat`` inside the window (FAPI 2.0 §5.3.2.1: up
to 10 s ahead is accepted) · DP-10 ``jti`` used once within the window · DP-11 the server's
``nonce`` when it asks for one (§8) · DP-12 at a resource server, ``ath`` is the hash of the
access token and the key is the one the token is bound to (``cnf.jkt``, §6).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key

from samgak.identity.errors import InvalidDPoPProof, UseDPoPNonce
from samgak.kit.crypto import equals

ALGORITHMS = ("ES256", "PS256", "EdDSA", "Ed25519")
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
FUTURE_LEEWAY = 10  # seconds a proof's iat may be ahead of our clock (FAPI 2.0 §5.3.2.1-13)
WINDOW = 60  # seconds a proof stays acceptable after its iat
MAX_HEADER_BYTES = 2048  # an RSA-2048 public JWK in the header is ~450 bytes; joserfc's default stops at 512


@dataclass(frozen=True, slots=True)
class DPoPProof:
    jkt: str  # RFC 7638 thumbprint of the proof's key (the value of cnf.jkt)
    jti: str
    iat: int


class ReplayCache:
    """``jti`` values seen within the window (one process; a shared one would live in Redis).

    Entries expire in the order they came in (a deque beside the dict), so a claim costs O(1)
    however many proofs are live — at a few hundred flows a second that is tens of thousands."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()

    def claim(self, jti: str, until: float, now: float) -> bool:
        while self._order and self._order[0][0] <= now:
            expired, key = self._order.popleft()
            if self._seen.get(key) == expired:
                del self._seen[key]
        if self._seen.get(jti, 0) > now:
            return False
        self._seen[jti] = until
        self._order.append((until, jti))
        return True

    def __len__(self) -> int:
        return len(self._seen)


def target_uri(url: str) -> str:
    """``htu`` as compared (RFC 9449 §4.3): scheme and host lower-cased, no query or fragment."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", "", ""))


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url(SHA-256(access token)) without padding (RFC 9449 §4.2)."""
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _segment(text: str) -> dict[str, object]:
    value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


@lru_cache(maxsize=4096)
def _proof_key(jwk: str) -> tuple[Key, str]:
    """A proof's public key and its RFC 7638 thumbprint; a client proves with one key over PAR,
    token and resource calls, so it is parsed once."""
    key = import_key(json.loads(jwk))
    return key, key.thumbprint()


def verify_proof(
    headers: list[str],
    *,
    method: str,
    url: str,
    replay: ReplayCache,
    now: float | None = None,
    nonce: str | None = None,
    access_token: str | None = None,
    bound_jkt: str | None = None,
) -> DPoPProof:
    """The checked proof of one request, or :class:`InvalidDPoPProof` naming the failed check."""
    moment = time.time() if now is None else now
    if len(headers) != 1:
        raise InvalidDPoPProof("exactly one DPoP header is required")  # DP-1
    token = headers[0]
    if len(token) > 8 * MAX_HEADER_BYTES:
        raise InvalidDPoPProof("the DPoP proof is too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidDPoPProof("the DPoP proof is not a compact JWS")  # DP-2
    try:
        header = _segment(parts[0])
        claims = _segment(parts[1])
    except (ValueError, UnicodeDecodeError):
        raise InvalidDPoPProof("the DPoP proof is not a compact JWS") from None
    if header.get("typ") != "dpop+jwt":
        raise InvalidDPoPProof("typ must be dpop+jwt")  # DP-3
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidDPoPProof(f"alg must be one of {', '.join(ALGORITHMS)}")  # DP-4
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & set(jwk):
        raise InvalidDPoPProof("jwk must be a public key")  # DP-5
    try:
        key, jkt = _proof_key(json.dumps(jwk, sort_keys=True))
        registry = jws.JWSRegistry(algorithms=[str(alg)])
        registry.max_header_length = MAX_HEADER_BYTES
        jws.deserialize_compact(token, key, registry=registry)
    except (JoseError, ValueError, TypeError):
        raise InvalidDPoPProof("the DPoP proof's signature does not verify") from None  # DP-6
    if claims.get("htm") != method:
        raise InvalidDPoPProof("htm does not match the request method")  # DP-7
    htu = claims.get("htu")
    if not isinstance(htu, str) or target_uri(htu) != target_uri(url):
        raise InvalidDPoPProof("htu does not match the request URI")  # DP-8
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise InvalidDPoPProof("iat is required")
    if iat > moment + FUTURE_LEEWAY or iat < moment - WINDOW:
        raise InvalidDPoPProof("iat is outside the acceptable window")  # DP-9
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 256:
        raise InvalidDPoPProof("jti is required")
    if nonce is not None and not (
        isinstance(claims.get("nonce"), str) and equals(str(claims["nonce"]), nonce)
    ):
        raise UseDPoPNonce("the server's DPoP nonce is required", nonce)  # DP-11
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not equals(ath, access_token_hash(access_token)):
            raise InvalidDPoPProof("ath does not match the access token")  # DP-12
        if bound_jkt is None or not equals(jkt, bound_jkt):
            raise InvalidDPoPProof("the proof's key is not the one the token is bound to")  # DP-12
    if not replay.claim(f"{jkt}:{jti}", iat + WINDOW + FUTURE_LEEWAY, moment):
        raise InvalidDPoPProof("this DPoP proof was already used")  # DP-10
    return DPoPProof(jkt=jkt, jti=jti, iat=iat)
