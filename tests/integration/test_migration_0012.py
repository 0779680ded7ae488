"""Migration 0012 on a database of its own: sessions from before were signed in without an
e-mail code, the column matches its model, and the downgrade removes it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gatehouse.db.migrate import alembic_config, upgrade
from gatehouse.db.models import Base
from gatehouse.settings import Settings

TABLE = "web_sessions"
INSERT_SESSION = sa.text(
    "INSERT INTO web_sessions (token_hash, tenant_id, user_id, kind, created_at, expires_at) "
    "VALUES ('h', 't', 'u', 'user', '2026-12-07 00:00:00', '2026-12-08 00:00:00')"
)
INSERT_TENANT = sa.text(
    "INSERT INTO tenants (id, display_name, region, license_type, created_at) "
    "VALUES ('t', 'T', 'eu', 'test', '2026-12-07 00:00:00')"
)


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_old_sessions_have_passed_no_code_and_downgrade_removes_the_column(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0011")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(INSERT_TENANT)
        connection.execute(INSERT_SESSION)
    upgrade(settings, "0012")
    with engine.connect() as connection:
        passed = connection.scalar(sa.text("SELECT email_code_passed FROM web_sessions"))
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert passed == 0
    assert [d for d in diffs if TABLE in repr(d)] == []

    command.downgrade(alembic_config(settings), "0011")
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns(TABLE)}
    assert "email_code_passed" not in columns and "token_hash" in columns
    engine.dispose()
