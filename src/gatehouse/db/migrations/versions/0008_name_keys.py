"""Names compared by a key computed in Python (NFKC, case-folded), not by the database's lower():
systems', applications' and template sets' name keys unique per tenant in place of 0006's
lower(name) indexes; users' login name and full name keys for the login name check and search

SQLite's lower() folds only ASCII letters and PostgreSQL's follows the database's locale, so
"CAFÉ" and "Café" were two names on one database and one on another.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (0006's lower(name) index, the name column's length)
NAMED = {
    "api_clients": ("uq_api_clients_tenant_name", 100),
    "applications": ("uq_applications_tenant_lower_name", 100),
    "template_sets": ("uq_template_sets_tenant_lower_name", 64),
}
LOGIN_INDEX = "ix_users_tenant_login_key"
USER_BATCH = 5000


def name_key(text: str) -> str:
    """gatehouse.db.name_keys.name_key as this revision knows it (a later rule comes with a
    migration of its own that computes the keys again)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def upgrade() -> None:
    for table, (old_index, length) in NAMED.items():
        # NOT NULL needs a default on SQLite's ADD COLUMN; every row gets its key next.
        op.add_column(table, sa.Column("name_key", sa.Text(), nullable=False, server_default=""))
        _store_keys(table, _rename_duplicates(table, length, name_key))
        op.drop_index(old_index, table_name=table)
        op.create_index(_key_index(table), table, ["tenant_id", "name_key"], unique=True)
    op.add_column("users", sa.Column("login_key", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("name_key", sa.Text(), nullable=False, server_default=""))
    _store_user_keys()
    op.create_index(LOGIN_INDEX, "users", ["tenant_id", "login_key"])


def downgrade() -> None:
    op.drop_index(LOGIN_INDEX, table_name="users")
    op.drop_column("users", "name_key")
    op.drop_column("users", "login_key")
    lowered = _database_lower()
    for table, (old_index, length) in NAMED.items():
        op.drop_index(_key_index(table), table_name=table)
        op.drop_column(table, "name_key")
        _rename_duplicates(table, length, lowered)  # lower() may join names the key kept apart
        op.create_index(old_index, table, ["tenant_id", sa.text("lower(name)")], unique=True)


def _key_index(table: str) -> str:
    return f"uq_{table}_tenant_name_key"


def _rows_of(table: str) -> sa.TableClause:
    return sa.table(table, *(sa.column(c) for c in ("id", "tenant_id", "name", "created_at")))


def _rename_duplicates(
    table: str, length: int, key_of: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """Names a tenant's rows share by ``key_of`` keep the oldest as it is; the others get
    " (2)", " (3)" ... within the column's ``length``, so nothing is lost (as 0006 did).
    Returns every row's (tenant, id, name) as it is now."""
    connection = op.get_bind()
    rows_of = _rows_of(table)
    columns = rows_of.c
    rows = [
        (tenant, row_id, name, key_of(name))
        for tenant, row_id, name in connection.execute(
            sa.select(columns.tenant_id, columns.id, columns.name).order_by(
                columns.created_at, columns.id
            )
        )
    ]
    taken = {(tenant, key) for tenant, _, _, key in rows}
    seen: set[tuple[str, str]] = set()
    result = []
    for tenant, row_id, name, key in rows:
        if (tenant, key) in seen:
            number = 2
            while (tenant, key_of(_numbered(name, number, length))) in taken:
                number += 1
            name = _numbered(name, number, length)
            key = key_of(name)
            taken.add((tenant, key))
            connection.execute(
                sa.update(rows_of)
                .where(columns.tenant_id == tenant, columns.id == row_id)
                .values(name=name)
            )
        seen.add((tenant, key))
        result.append((tenant, row_id, name))
    return result


def _numbered(name: str, number: int, length: int) -> str:
    suffix = f" ({number})"
    return name[: length - len(suffix)] + suffix


def _store_keys(table: str, rows: list[tuple[str, str, str]]) -> None:
    """Each row's name key (applications' IDs are unique per tenant only)."""
    if not rows:
        return
    keyed = sa.table(table, sa.column("tenant_id"), sa.column("id"), sa.column("name_key"))
    op.get_bind().execute(
        sa.update(keyed)
        .where(keyed.c.tenant_id == sa.bindparam("row_tenant"), keyed.c.id == sa.bindparam("row"))
        .values(name_key=sa.bindparam("key")),
        [{"row_tenant": t, "row": i, "key": name_key(name)} for t, i, name in rows],
    )


def _store_user_keys() -> None:
    """Each user's login name key (None without a login name) and full name key, a batch of
    users at a time (a tenant may have many)."""
    connection = op.get_bind()
    columns = ("id", "login_name", "first_name", "last_name", "login_key", "name_key")
    users = sa.table("users", *(sa.column(c) for c in columns))
    store = (
        sa.update(users)
        .where(users.c.id == sa.bindparam("row"))
        .values(login_key=sa.bindparam("login"), name_key=sa.bindparam("full_name"))
    )
    last = ""
    while rows := connection.execute(
        sa.select(users.c.id, users.c.login_name, users.c.first_name, users.c.last_name)
        .where(users.c.id > last)
        .order_by(users.c.id)
        .limit(USER_BATCH)
    ).all():
        connection.execute(
            store,
            [
                {
                    "row": row.id,
                    "login": name_key(row.login_name) if row.login_name is not None else None,
                    "full_name": name_key(f"{row.first_name} {row.last_name}"),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def _database_lower() -> Callable[[str], str]:
    """A name as 0006's indexes compare it: by the database's own lower()."""
    connection = op.get_bind()

    def lowered(name: str) -> str:
        return str(connection.execute(sa.text("SELECT lower(:name)"), {"name": name}).scalar_one())

    return lowered
