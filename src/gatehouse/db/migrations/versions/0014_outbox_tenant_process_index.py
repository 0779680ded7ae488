"""An index on the outbox by tenant, process and time: the hourly limits of test e-mails and of
e-mails to new users count a tenant's e-mails of a few processes in the last hour, which by
tenant and time alone read all of that tenant's e-mails of the hour

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_tenant_process_created",
        "outbox_messages",
        ["tenant_id", "process", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_tenant_process_created", table_name="outbox_messages")
