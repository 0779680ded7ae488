"""A link remembers the application its process started from: a renewed link is sent for it
again, and the pages after the link lead back to its logon page

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Links sent before keep none: they lead to the tenant's own logon page, as they did.
    with op.batch_alter_table("link_tokens") as table:
        table.add_column(sa.Column("application_id", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("link_tokens") as table:
        table.drop_column("application_id")
