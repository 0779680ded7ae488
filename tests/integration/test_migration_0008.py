"""Migration 0008 on a database of its own (SQLite, and PostgreSQL in the C locale, whose lower()
folds only ASCII letters too): names that share a name key (NFKC, case-folded) are renamed, not
lost; every row gets its key; the key indexes replace 0006's lower(name) ones as the models
describe them; the downgrade puts 0006's back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from gatehouse.db.base import UtcDateTime
from gatehouse.db.migrate import alembic_config, upgrade
from gatehouse.db.models import Base
from gatehouse.db.name_keys import name_key
from gatehouse.settings import Settings
from tests.support.live import run_in_thread
from tests.support.migrations import add_tenants
from tests.support.postgres import private_database

T = TypeVar("T")
C_LOCALE = "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"

CLIENTS = [  # id, tenant, name, day created: acme's first two share a key; globex's is its own
    ("c1", "acme", "Überweisung", 1),
    ("c2", "acme", "überweisung", 2),  # lower() takes it for another name
    ("c3", "acme", "Überweisung (2)", 3),
    ("c4", "globex", "überweisung", 1),
]
APPLICATIONS = [  # "ß" folds to "ss"; NFKC makes the ligature "ﬁ" "fi"
    ("a1", "acme", "Straße", 1),
    ("a2", "acme", "STRASSE", 2),
    ("a3", "acme", "ﬁnance", 3),
    ("a4", "acme", "Finance", 4),
]
SETS = [  # 64 characters at most
    ("s1", "acme", "Café ünïcode", 1),
    ("s2", "acme", "CAFÉ ÜNÏCODE", 2),
    ("s3", "acme", "Ö" * 64, 3),
    ("s4", "acme", "ö" * 64, 4),
]
USERS = [  # id, e-mail, login name, first name, last name
    ("u1", "u1@acme.test", "ÄRGER", "Åsa", "Östlund"),
    ("u2", "u2@acme.test", None, "Jane", "Doe"),
]
OLD_INDEXES = {
    "uq_api_clients_tenant_name",
    "uq_applications_tenant_lower_name",
    "uq_template_sets_tenant_lower_name",
}
NEW_INDEXES = {
    "uq_api_clients_tenant_name_key",
    "uq_applications_tenant_name_key",
    "uq_template_sets_tenant_name_key",
    "ix_users_tenant_login_key",
}
TABLES = ("api_clients", "applications", "template_sets", "users")


def _created() -> sa.BindParameter[datetime]:
    return sa.bindparam("created", type_=UtcDateTime())


INSERT_CLIENT = sa.text(
    "INSERT INTO api_clients (id, tenant_id, name, authorizations, created_at)"
    " VALUES (:id, :tenant, :name, 'read-users', :created)"
).bindparams(_created())
INSERT_APPLICATION = sa.text(
    "INSERT INTO applications (tenant_id, id, name, home_url, template_set_id, email_otp,"
    " created_at, updated_at) VALUES (:tenant, :id, :name, '', 'default', FALSE, :created,"
    " :created)"
).bindparams(_created())
INSERT_SET = sa.text(
    "INSERT INTO template_sets (id, tenant_id, name, created_at, updated_at)"
    " VALUES (:id, :tenant, :name, :created, :created)"
).bindparams(_created())
INSERT_USER = sa.text(
    "INSERT INTO users (id, tenant_id, email, login_name, first_name, last_name, language,"
    " status, failed_logons, created_at) VALUES (:id, 'acme', :email, :login,"
    " :first, :last, 'en', 'active', 0, :created)"
).bindparams(_created())


def day(number: int) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=number)


def params(rows: list[tuple[str, str, str, int]]) -> list[dict[str, Any]]:
    """Bind parameters of (id, tenant, name, day created) rows."""
    return [
        {"id": row_id, "tenant": tenant, "name": name, "created": day(number)}
        for row_id, tenant, name, number in rows
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings on an empty database of the test's own."""
    if request.param == "sqlite":
        yield Settings(_env_file=None, data_dir=tmp_path, database_url="")
        return
    server = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
    with private_database(server, "gatehouse_0008", options=C_LOCALE) as url:
        yield Settings(_env_file=None, data_dir=tmp_path, database_url=url)


def on_database(settings: Settings, work: Callable[[sa.Connection], T]) -> T:
    """``work`` in one transaction of a connection of its own."""

    async def run() -> T:
        engine = create_async_engine(settings.resolved_database_url())
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return run_in_thread(run)


def index_names(connection: sa.Connection) -> set[str]:
    """The database's own list (SQLAlchemy does not reflect SQLite's indexes on expressions)."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return set(connection.execute(sa.text(query)).scalars())


def names_of(connection: sa.Connection, table: str) -> dict[str, str]:
    return dict(connection.execute(sa.text(f"SELECT id, name FROM {table}")).all())  # noqa: S608


def seed(connection: sa.Connection) -> None:
    add_tenants(connection, "acme", "globex")
    connection.execute(INSERT_CLIENT, params(CLIENTS))
    connection.execute(INSERT_APPLICATION, params(APPLICATIONS))
    connection.execute(INSERT_SET, params(SETS))
    columns = ("id", "email", "login", "first", "last")
    connection.execute(
        INSERT_USER, [{**dict(zip(columns, row, strict=True)), "created": day(1)} for row in USERS]
    )


def migrated(connection: sa.Connection) -> dict[str, Any]:
    """What the test checks after the upgrade: names, keys, indexes, differences from the
    models in the tables 0008 changed."""
    context = MigrationContext.configure(connection)
    keys = {
        table: dict(connection.execute(sa.text(f"SELECT name, name_key FROM {table}")).all())  # noqa: S608
        for table in TABLES[:3]
    }
    users = connection.execute(sa.text("SELECT id, login_key, name_key FROM users ORDER BY id"))
    return {
        "names": {table: names_of(connection, table) for table in TABLES[:3]},
        "keys": keys,
        "users": [tuple(row) for row in users],
        "indexes": index_names(connection),
        "diffs": [
            d for d in compare_metadata(context, Base.metadata) if any(t in repr(d) for t in TABLES)
        ],
    }


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_shared_keys_are_numbered_and_the_downgrade_restores_0007(settings: Settings) -> None:
    """0007 rows sharing a key get " (2)" ... and every row its key; the key indexes refuse
    another; 0008 -> 0007 drops the keys and makes 0006's lower(name) indexes again."""
    upgrade(settings, "0007")
    on_database(settings, seed)

    upgrade(settings, "0008")
    after = on_database(settings, migrated)
    assert after["names"] == {
        "api_clients": {
            "c1": "Überweisung",
            "c2": "überweisung (3)",  # "(2)" is c3's own name
            "c3": "Überweisung (2)",
            "c4": "überweisung",  # another tenant's
        },
        "applications": {"a1": "Straße", "a2": "STRASSE (2)", "a3": "ﬁnance", "a4": "Finance (2)"},
        "template_sets": {
            "s1": "Café ünïcode",
            "s2": "CAFÉ ÜNÏCODE (2)",
            "s3": "Ö" * 64,
            "s4": "ö" * 60 + " (2)",  # 64 characters at most: the number takes the end
        },
    }
    for table, keys in after["keys"].items():
        assert keys == {name: name_key(name) for name in after["names"][table].values()}
    assert after["users"] == [("u1", "ärger", "åsa östlund"), ("u2", None, "jane doe")]
    assert after["indexes"] >= NEW_INDEXES and not after["indexes"] & OLD_INDEXES
    assert after["diffs"] == []
    with pytest.raises(sa.exc.IntegrityError):
        on_database(
            settings,
            lambda c: c.execute(
                sa.text(
                    "INSERT INTO template_sets (id, tenant_id, name, name_key, created_at,"
                    " updated_at) VALUES ('s5', 'acme', 'café ÜNÏCODE', :key, :created, :created)"
                ).bindparams(_created()),
                {"key": name_key("café ÜNÏCODE"), "created": day(5)},
            ),
        )

    command.downgrade(alembic_config(settings), "0007")
    indexes = on_database(settings, index_names)
    columns = on_database(
        settings,
        lambda c: {t: {col["name"] for col in sa.inspect(c).get_columns(t)} for t in TABLES},
    )
    assert indexes >= OLD_INDEXES and not indexes & NEW_INDEXES
    assert "ix_api_clients_tenant_id" in indexes  # the listing sees the tables' indexes
    assert all({"name_key", "login_key"}.isdisjoint(names) for names in columns.values())
    assert on_database(settings, lambda c: names_of(c, "template_sets"))["s2"] == (
        "CAFÉ ÜNÏCODE (2)"  # renamed names stay renamed
    )
