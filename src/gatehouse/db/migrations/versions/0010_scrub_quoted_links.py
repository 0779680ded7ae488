"""Reset and activation links quoted by a server's reply, stored before replies were scrubbed
(mail/quoted_secrets.py), are taken out of the delivery log: such a link works until it expires

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A token as a reply quotes a link: token=<value>, or token=3D<value> in quoted-printable.
QUOTED_TOKEN = re.compile(r"(token=(?:3D)?)[A-Za-z0-9_-]{16,}")
REDACTED = "[redacted]"
# The tables as this revision knows them: key, then the text a reply may have quoted into.
TEXTS = (
    sa.table("delivery_attempts", sa.column("id"), sa.column("error")),
    sa.table("outbox_messages", sa.column("id"), sa.column("last_error")),
)


def upgrade() -> None:
    connection = op.get_bind()
    for table in TEXTS:
        key, text_column = table.c[0], table.c[1]
        rows = connection.execute(
            sa.select(key, text_column).where(text_column.like("%token=%"))
        ).all()
        for row_key, text in rows:
            scrubbed = QUOTED_TOKEN.sub(rf"\1{REDACTED}", text)
            if scrubbed != text:
                connection.execute(
                    sa.update(table).where(key == row_key).values({text_column: scrubbed})
                )


def downgrade() -> None:
    pass  # what was taken out stays out
