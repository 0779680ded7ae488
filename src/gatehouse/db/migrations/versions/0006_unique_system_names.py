"""Systems' names unique per tenant in the database (upper or lower case alike)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_LENGTH = 100


def upgrade() -> None:
    _rename_duplicates()
    op.create_index(
        "uq_api_clients_tenant_name",
        "api_clients",
        ["tenant_id", sa.text("lower(name)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_api_clients_tenant_name", table_name="api_clients")


def _rename_duplicates() -> None:
    """Names a tenant's systems already share (added by two requests at once before this
    index) keep the oldest as it is; the others get " (2)", " (3)" ... so nothing is lost.
    Names are compared as the index compares them: by the database's own lower()."""
    connection = op.get_bind()

    def lowered(name: str) -> str:
        return str(connection.execute(sa.text("SELECT lower(:name)"), {"name": name}).scalar_one())

    rows = connection.execute(
        sa.text("SELECT id, tenant_id, name, lower(name) FROM api_clients ORDER BY created_at, id")
    ).all()
    taken = {(tenant, low) for _, tenant, _, low in rows}
    seen: set[tuple[str, str]] = set()
    for client_id, tenant, name, low in rows:
        if (tenant, low) not in seen:
            seen.add((tenant, low))
            continue
        number = 2
        while (tenant, lowered(_numbered(name, number))) in taken:
            number += 1
        renamed = _numbered(name, number)
        taken.add((tenant, lowered(renamed)))
        connection.execute(
            sa.text("UPDATE api_clients SET name = :name WHERE id = :id"),
            {"name": renamed, "id": client_id},
        )


def _numbered(name: str, number: int) -> str:
    suffix = f" ({number})"
    return name[: NAME_LENGTH - len(suffix)] + suffix
