"""SES sending domains (issue 7); reliable delivery (issue 4) needed no schema change

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gatehouse.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ses_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("tenant_id", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("created_at", gatehouse.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("checked_at", gatehouse.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ses_domains_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_ses_domains")),
    )
    op.create_index(op.f("ix_ses_domains_tenant_id"), "ses_domains", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ses_domains_tenant_id"), table_name="ses_domains")
    op.drop_table("ses_domains")
