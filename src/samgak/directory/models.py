"""Tables of the alliance directory (the portal's records, 지원-002/003).

Invariants:

* A client secret is never stored: only ``secret_digest(secret)`` (SHA-256 of a 256-bit random
  secret), for registered services and for support clients alike.
* Every org and service row carries ``op_type`` (I/M/D, 지원-002/003) and ``modified_at``; a
  change that alters nothing leaves both untouched, so ``search_timestamp`` polls stay quiet.
  Deletion is ``op_type='D'``, never a DELETE, so pollers learn of it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from samgak.kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DirectoryOrg(Base):
    """기관 — an org registered at the portal (지원-002 ``org_list`` item)."""

    __tablename__ = "directory_org"
    org_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    org_type: Mapped[str] = mapped_column(String(2))
    org_name: Mapped[str] = mapped_column(String(100))
    org_name_en: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(10))
    org_regno: Mapped[str | None] = mapped_column(String(12))
    corp_regno: Mapped[str | None] = mapped_column(String(13))
    base_url: Mapped[str | None] = mapped_column(String(200))
    auth_type: Mapped[str | None] = mapped_column(String(2))
    np_times: Mapped[list[str]] = mapped_column(JSON)
    is_rcv_org: Mapped[bool] = mapped_column(Boolean)
    op_type: Mapped[str] = mapped_column(String(1))
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class DirectoryService(Base):
    """A registered service of a receiving org and its client credentials (지원-003)."""

    __tablename__ = "directory_service"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("directory_org.org_code"))
    service_name: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str] = mapped_column(String(50), unique=True)
    client_secret_digest: Mapped[str] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    app_schemes: Mapped[list[str]] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(String(1000))
    op_type: Mapped[str] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    __table_args__ = (UniqueConstraint("org_code", "service_name"),)


class DirectoryRelyingParty(Base):
    """A relying party of the alliance identity provider: a member's app, the MyData or payment
    service. It authenticates with ``private_key_jwt`` against the public keys kept here."""

    __tablename__ = "directory_relying_party"
    client_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("directory_org.org_code"))
    name: Mapped[str] = mapped_column(String(100))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    jwks: Mapped[str] = mapped_column(Text)  # public JWK Set (JSON)
    scope: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DirectorySupportClient(Base):
    """An org's credentials for calling the portal's 지원 APIs (지원-001)."""

    __tablename__ = "directory_support_client"
    client_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("directory_org.org_code"), index=True)
    client_secret_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
