"""Migration 0014: the outbox gets the index the hourly limits count through, as the model has
it; the downgrade removes it."""

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

TABLE = "outbox_messages"
INDEX = "ix_outbox_tenant_process_created"


def indexes(engine: sa.Engine) -> dict[str, list[str | None]]:
    with engine.connect() as connection:
        found = sa.inspect(connection).get_indexes(TABLE)
    return {str(index["name"]): list(index["column_names"]) for index in found}


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_the_outbox_gets_the_limits_index_and_downgrade_removes_it(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0014")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    assert indexes(engine)[INDEX] == ["tenant_id", "process", "created_at"]
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if TABLE in repr(d)] == []

    command.downgrade(alembic_config(settings), "0013")
    assert INDEX not in indexes(engine) and "ix_outbox_tenant_created" in indexes(engine)
    engine.dispose()
