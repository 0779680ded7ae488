"""Systems', applications' and template sets' names unique per tenant in the database, upper or
lower case alike

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

# index name -> (table whose names it keeps unique per tenant, the name column's length)
INDEXES = {
    "uq_api_clients_tenant_name": ("api_clients", 100),
    "uq_applications_tenant_lower_name": ("applications", 100),
    "uq_template_sets_tenant_lower_name": ("template_sets", 64),
}


def upgrade() -> None:
    for index, (table, length) in INDEXES.items():
        _rename_duplicates(table, length)
        op.create_index(index, table, ["tenant_id", sa.text("lower(name)")], unique=True)


def downgrade() -> None:
    for index, (table, _) in INDEXES.items():
        op.drop_index(index, table_name=table)


def _rename_duplicates(table: str, length: int) -> None:
    """Names a tenant's rows already share (added by two requests at once, or in other letter
    case, before this index) keep the oldest as it is; the others get " (2)", " (3)" ... so
    nothing is lost. Names are compared as the index compares them: by the database's own
    lower()."""
    connection = op.get_bind()

    def lowered(name: str) -> str:
        return str(connection.execute(sa.text("SELECT lower(:name)"), {"name": name}).scalar_one())

    rows_of = sa.table(table, *(sa.column(c) for c in ("id", "tenant_id", "name", "created_at")))
    columns = rows_of.c
    rows = connection.execute(
        sa.select(
            columns.id, columns.tenant_id, columns.name, sa.func.lower(columns.name)
        ).order_by(columns.created_at, columns.id)
    ).all()
    taken = {(tenant, low) for _, tenant, _, low in rows}
    seen: set[tuple[str, str]] = set()
    for row_id, tenant, name, low in rows:
        if (tenant, low) not in seen:
            seen.add((tenant, low))
            continue
        number = 2
        while (tenant, lowered(_numbered(name, number, length))) in taken:
            number += 1
        renamed = _numbered(name, number, length)
        taken.add((tenant, lowered(renamed)))
        connection.execute(
            sa.update(rows_of)
            .where(columns.tenant_id == tenant, columns.id == row_id)
            .values(name=renamed)
        )


def _numbered(name: str, number: int, length: int) -> str:
    suffix = f" ({number})"
    return name[: length - len(suffix)] + suffix
