"""Migration 0013: API client secrets get last_used_at (none recorded for existing ones), as the
model has it; the downgrade removes it."""

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

TABLE = "api_client_secrets"


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_secrets_get_a_last_use_and_downgrade_removes_it(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0013")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns(TABLE)}
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert "last_used_at" in columns
    assert [d for d in diffs if TABLE in repr(d)] == []

    command.downgrade(alembic_config(settings), "0012")
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns(TABLE)}
    assert "last_used_at" not in columns and "secret_hash" in columns
    engine.dispose()
