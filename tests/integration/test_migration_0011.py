"""Migration 0011 on a database of its own: the table of registrations per client network
matches its model, and the downgrade removes it."""

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

TABLE = "registration_requests"


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_schema_matches_the_model_and_downgrade_removes_it(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0011")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(connection).get_indexes(TABLE)}
    assert [d for d in diffs if TABLE in repr(d)] == []
    assert indexes == {"ix_registration_requests_tenant_created": ["tenant_id", "created_at"]}

    command.downgrade(alembic_config(settings), "0010")
    with engine.connect() as connection:
        assert TABLE not in sa.inspect(connection).get_table_names()
    engine.dispose()
