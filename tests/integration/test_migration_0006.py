"""Migration 0006 on a database of its own: systems, applications and template sets that already
share a name (upper or lower case alike) are renamed, not lost, before the unique indexes are
made; the downgrade drops them."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from gatehouse.db.migrate import alembic_config, upgrade
from gatehouse.settings import Settings
from tests.support.migrations import add_tenants

CLIENTS = [  # id, tenant, name, created: two of acme's share a name; globex's is its own
    ("c1", "acme", "Provisioning", "2026-01-01 00:00:00"),
    ("c2", "acme", "provisioning", "2026-01-02 00:00:00"),
    ("c3", "acme", "Provisioning (2)", "2026-01-03 00:00:00"),
    ("c4", "acme", "PROVISIONING", "2026-01-04 00:00:00"),
    ("c5", "globex", "Provisioning", "2026-01-01 00:00:00"),
]

APPLICATIONS = [  # id, tenant, name, created
    ("a1", "acme", "Travel", "2026-01-01 00:00:00"),
    ("a2", "acme", "TRAVEL", "2026-01-02 00:00:00"),
    ("a3", "globex", "travel", "2026-01-01 00:00:00"),
]

SETS = [  # id, tenant, name (64 characters at most), created
    ("s1", "acme", "Corporate", "2026-01-01 00:00:00"),
    ("s2", "acme", "CORPORATE", "2026-01-02 00:00:00"),
    ("s3", "acme", "L" * 64, "2026-01-03 00:00:00"),
    ("s4", "acme", "l" * 64, "2026-01-04 00:00:00"),
]
INDEXES = {
    "uq_api_clients_tenant_name",
    "uq_applications_tenant_lower_name",
    "uq_template_sets_tenant_lower_name",
}

INSERT_CLIENT = sa.text(
    "INSERT INTO api_clients (id, tenant_id, name, authorizations, created_at)"
    " VALUES (:id, :tenant, :name, 'read-users', :created)"
)
INSERT_APPLICATION = sa.text(
    "INSERT INTO applications (tenant_id, id, name, home_url, template_set_id, email_otp,"
    " created_at, updated_at) VALUES (:tenant, :id, :name, '', 'default', 0, :created, :created)"
)


INSERT_SET = sa.text(
    "INSERT INTO template_sets (id, tenant_id, name, created_at, updated_at)"
    " VALUES (:id, :tenant, :name, :created, :created)"
)


def params(rows: list[tuple[str, str, str, str]]) -> list[dict[str, str]]:
    """Bind parameters of (id, tenant, name, created) rows."""
    return [dict(zip(("id", "tenant", "name", "created"), row, strict=True)) for row in rows]


def sqlite_indexes(connection: sa.Connection) -> set[str]:
    """SQLite's own list (SQLAlchemy does not reflect indexes on expressions)."""
    return set(
        connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()
    )


def test_shared_names_are_numbered_and_the_index_refuses_another(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0005")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    with engine.begin() as connection:
        add_tenants(connection, "acme", "globex")
        connection.execute(INSERT_CLIENT, params(CLIENTS))
        connection.execute(INSERT_APPLICATION, params(APPLICATIONS))
        connection.execute(INSERT_SET, params(SETS))

    upgrade(settings, "0006")
    with engine.connect() as connection:
        assert sqlite_indexes(connection) >= INDEXES
        names = dict(connection.execute(sa.text("SELECT id, name FROM api_clients")).all())
        applications = dict(connection.execute(sa.text("SELECT id, name FROM applications")).all())
        set_names = dict(connection.execute(sa.text("SELECT id, name FROM template_sets")).all())
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(
                INSERT_APPLICATION, params([("a4", "globex", "TRAVEL", "2026-02-01")])
            )
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(
                INSERT_CLIENT, params([("c6", "globex", "provisioning", "2026-02-01")])
            )
    assert names == {
        "c1": "Provisioning",
        "c2": "provisioning (3)",  # "(2)" is c3's own name
        "c3": "Provisioning (2)",
        "c4": "PROVISIONING (4)",
        "c5": "Provisioning",
    }

    assert applications == {"a1": "Travel", "a2": "TRAVEL (2)", "a3": "travel"}
    long_renamed = "l" * 60 + " (2)"  # 64 characters at most: the number takes the end
    assert set_names == {
        "s1": "Corporate",
        "s2": "CORPORATE (2)",
        "s3": "L" * 64,
        "s4": long_renamed,
    }

    command.downgrade(alembic_config(settings), "0005")
    with engine.connect() as connection:
        indexes = sqlite_indexes(connection)
    assert "ix_api_clients_tenant_id" in indexes  # the listing sees the tables' indexes
    assert not indexes & INDEXES
    engine.dispose()
