"""Tables of the identity provider (platform database).

``identity_par_request`` — pushed authorization requests (RFC 9126), single use, < 600 s.

``identity_signing_key`` — the provider's signing keys. The newest unretired key signs; a
rotated key is retired (signs no more) but stays published in the JWKS until ``expires_at``, so
tokens it signed still verify during the overlap. Private keys are sealed at rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
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
