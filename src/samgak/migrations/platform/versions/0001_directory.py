"""directory: orgs, registered services, support clients, signer keys

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # samgak.directory.models.UtcDateTime's storage


def upgrade() -> None:
    op.create_table(
        "directory_org",
        sa.Column("org_code", sa.String(length=10), nullable=False),
        sa.Column("org_type", sa.String(length=2), nullable=False),
        sa.Column("org_name", sa.String(length=100), nullable=False),
        sa.Column("org_name_en", sa.String(length=100), nullable=True),
        sa.Column("industry", sa.String(length=10), nullable=True),
        sa.Column("org_regno", sa.String(length=12), nullable=True),
        sa.Column("corp_regno", sa.String(length=13), nullable=True),
        sa.Column("base_url", sa.String(length=200), nullable=True),
        sa.Column("auth_type", sa.String(length=2), nullable=True),
        sa.Column("np_times", sa.JSON(), nullable=False),
        sa.Column("is_rcv_org", sa.Boolean(), nullable=False),
        sa.Column("op_type", sa.String(length=1), nullable=False),
        sa.Column("modified_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("org_code", name=op.f("pk_directory_org")),
    )
    op.create_index(op.f("ix_directory_org_modified_at"), "directory_org", ["modified_at"])

    op.create_table(
        "directory_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=10), nullable=False),
        sa.Column("service_name", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.String(length=50), nullable=False),
        sa.Column("client_secret_digest", sa.String(length=64), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("app_schemes", sa.JSON(), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("op_type", sa.String(length=1), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("modified_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_code"], ["directory_org.org_code"], name=op.f("fk_directory_service_org_code_directory_org")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_service")),
        sa.UniqueConstraint("client_id", name=op.f("uq_directory_service_client_id")),
        sa.UniqueConstraint(
            "org_code", "service_name", name=op.f("uq_directory_service_org_code_service_name")
        ),
    )
    op.create_index(op.f("ix_directory_service_modified_at"), "directory_service", ["modified_at"])

    op.create_table(
        "directory_support_client",
        sa.Column("client_id", sa.String(length=50), nullable=False),
        sa.Column("org_code", sa.String(length=10), nullable=False),
        sa.Column("client_secret_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_code"],
            ["directory_org.org_code"],
            name=op.f("fk_directory_support_client_org_code_directory_org"),
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_directory_support_client")),
    )
    op.create_index(op.f("ix_directory_support_client_org_code"), "directory_support_client", ["org_code"])

    op.create_table(
        "directory_signer_key",
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("ca_code", sa.String(length=10), nullable=False),
        sa.Column("subject_ci_digest", sa.String(length=64), nullable=False),
        sa.Column("jwk", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_directory_signer_key")),
    )
    op.create_index(
        op.f("ix_directory_signer_key_subject_ci_digest"), "directory_signer_key", ["subject_ci_digest"]
    )


def downgrade() -> None:
    op.drop_table("directory_signer_key")
    op.drop_table("directory_support_client")
    op.drop_table("directory_service")
    op.drop_table("directory_org")
