"""When each API client secret last authenticated a call (which one a system still uses)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gatehouse.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Secrets from before have no use recorded, as new ones until their first call.
    op.add_column(
        "api_client_secrets",
        sa.Column("last_used_at", gatehouse.db.base.UtcDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("api_client_secrets") as batch:
        batch.drop_column("last_used_at")
