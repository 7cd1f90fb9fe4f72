"""Secrets, keyed hashes and encryption of personal data at rest.

* Secrets handed out (client secrets, refresh tokens, API keys) are prefixed so they look like
  what they are (``sgk_cs_…``) and are stored only as a hash; comparison is constant-time.
* Personal data that must stay readable (CI, phone numbers) is sealed with AES-256-GCM; a keyed
  HMAC of it is kept beside for equality look-ups.
* Every key is derived from one master secret with HKDF and a purpose label, so rotating the
  master rotates them all and no two purposes share a key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(master: str | bytes, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose, derived from the master secret (RFC 5869 HKDF-SHA256)."""
    material = master.encode() if isinstance(master, str) else master
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(material)


def new_secret(prefix: str, nbytes: int = 32) -> str:
    """A random, URL-safe secret that names its kind, e.g. ``sgk_cs_3q2…``."""
    return f"{prefix}{secrets.token_urlsafe(nbytes)}"


def secret_digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (random secrets need no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keyed_digest(key: bytes, value: str) -> str:
    """HMAC-SHA256 of ``value``: a stable, non-reversible look-up key for personal data."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def equals(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


class Sealer:
    """AES-256-GCM encryption of short personal values.

    The nonce is an HMAC of the plaintext under a second key (the SIV construction): equal
    values seal equally, so seeded data stays byte-identical across runs, and two different
    values never share a nonce.
    """

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._nonce_key = derive_key(key, "sealer/nonce")

    def seal(self, plaintext: str) -> str:
        nonce = hmac.new(self._nonce_key, plaintext.encode(), hashlib.sha256).digest()[:12]
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token.encode())
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()
