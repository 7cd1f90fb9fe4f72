"""Tables of the identity provider (platform database).

``identity_par_request`` — pushed authorization requests (RFC 9126), single use, < 600 s.

``identity_signing_key`` — the provider's signing keys. The newest unretired key signs; a
rotated key is retired (signs no more) but stays published in the JWKS until ``expires_at``, so
tokens it signed still verify during the overlap. Private keys are sealed at rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class IdentitySigningKey(Base):
    __tablename__ = "identity_signing_key"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10))
    public_jwk: Mapped[str] = mapped_column(Text)
    private_jwk_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentityParRequest(Base):
    """A pushed authorization request (RFC 9126): what the client asked, kept until used or expired."""

    __tablename__ = "identity_par_request"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the request_uri's reference
    client_id: Mapped[str] = mapped_column(String(50))
    params: Mapped[str] = mapped_column(Text)  # JSON: redirect_uri, scope, state, nonce, code_challenge
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentityAccount(Base):
    """One person's alliance identity, proven through the carrier (CI sealed, found by digest)."""

    __tablename__ = "identity_account"
    subject: Mapped[str] = mapped_column(String(43), primary_key=True)  # the OIDC ``sub``
    ci_digest: Mapped[str] = mapped_column(String(64), unique=True)
    ci_sealed: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[str] = mapped_column(String(8))
    phone_sealed: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    proven_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdentityProofing(Base):
    """A carrier check in progress: the carrier's verification id and who was claimed."""

    __tablename__ = "identity_proofing"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    verification_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[str] = mapped_column(String(8))
    phone_sealed: Mapped[str] = mapped_column(String(120))
    next_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentitySession(Base):
    """A signed-in browser: the cookie holds a secret whose digest is the key here."""

    __tablename__ = "identity_session"
    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(43), index=True)
    acr: Mapped[str] = mapped_column(String(60))
    amr: Mapped[str] = mapped_column(String(60))  # space-separated RFC 8176 values
    auth_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentityGrant(Base):
    """What a person granted one relying party (scopes, how they authenticated); its refresh token.

    Revoking the grant ends its refresh token and every access token issued under it (resource
    servers check the grant on each call)."""

    __tablename__ = "identity_grant"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(50), index=True)
    subject: Mapped[str] = mapped_column(String(43), index=True)
    scope: Mapped[str] = mapped_column(String(500))
    acr: Mapped[str] = mapped_column(String(60))
    amr: Mapped[str] = mapped_column(String(60))
    auth_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentityAuthorizationCode(Base):
    """An authorization code: ≤ 60 s, single use, bound to its client, PKCE challenge and DPoP key."""

    __tablename__ = "identity_authorization_code"
    code_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(String(43))
    client_id: Mapped[str] = mapped_column(String(50))
    redirect_uri: Mapped[str] = mapped_column(String(300))
    code_challenge: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str | None] = mapped_column(String(255))
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentityPasskey(Base):
    """A person's passkey (WebAuthn credential): its public key and signature counter."""

    __tablename__ = "identity_passkey"
    credential_id: Mapped[str] = mapped_column(String(400), primary_key=True)  # base64url
    subject: Mapped[str] = mapped_column(String(43), index=True)
    public_key: Mapped[str] = mapped_column(Text)  # base64url COSE key
    sign_count: Mapped[int] = mapped_column(BigInteger)
    backed_up: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentityChallenge(Base):
    """A WebAuthn challenge: random, single use, short-lived, for one purpose (and person)."""

    __tablename__ = "identity_challenge"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100))  # base64url
    purpose: Mapped[str] = mapped_column(String(20))  # register | sign-in | step-up
    subject: Mapped[str | None] = mapped_column(String(43))
    context: Mapped[str | None] = mapped_column(Text)  # step-up: the canonical transaction it binds
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdentitySignRequest(Base):
    """통합인증 (private-certificate flow, 별첨2): one bundle of transmission requests a MyData
    service asks a person to sign at once (IA102), and, once signed, each holder's signed consent."""

    __tablename__ = "identity_sign_request"
    cert_tx_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sign_tx_id: Mapped[str] = mapped_column(String(49))
    client_id: Mapped[str] = mapped_column(String(50))
    ci_digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    consents: Mapped[str] = mapped_column(Text)  # JSON list of {tx_id, consent_title, consent}
    consent_type: Mapped[str] = mapped_column(String(1))
    signed: Mapped[str | None] = mapped_column(Text)  # JSON {tx_id: signed_consent}
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
