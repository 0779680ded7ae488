"""An index on the outbox by tenant, user and time: a user's page shows their last activation
e-mail, and deactivating a user withdraws their queued e-mails, which by tenant and process or
time alone read many other users' e-mails

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_tenant_user_created",
        "outbox_messages",
        ["tenant_id", "user_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_tenant_user_created", table_name="outbox_messages")
