"""The change log's actor holds any address: "user:" or "admin:" and up to 254 characters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a column's type in place (it copies the table).
    with op.batch_alter_table("audit_entries") as table:
        table.alter_column("actor", type_=sa.String(300), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as table:
        table.alter_column("actor", type_=sa.String(200), existing_nullable=False)
