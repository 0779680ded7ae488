"""Failed logons and forgot-password requests per client network, for the per-client limits

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gatehouse.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_attempts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=False),
        sa.Column("created_at", gatehouse.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_client_attempts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_attempts")),
    )
    op.create_index(
        "ix_client_attempts_count",
        "client_attempts",
        ["tenant_id", "kind", "network", "created_at"],
    )
    op.create_index("ix_client_attempts_created", "client_attempts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_client_attempts_created", table_name="client_attempts")
    op.drop_index("ix_client_attempts_count", table_name="client_attempts")
    op.drop_table("client_attempts")
