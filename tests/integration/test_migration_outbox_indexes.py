"""Migrations 0014 and 0015: the outbox gets the index the hourly limits count through
(0014) and the index of one user's e-mails (0015), as the model has them; each downgrade
removes its index only."""

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


def indexes(engine: sa.Engine) -> dict[str, list[str | None]]:
    with engine.connect() as connection:
        found = sa.inspect(connection).get_indexes(TABLE)
    return {str(index["name"]): list(index["column_names"]) for index in found}


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
@pytest.mark.parametrize(
    ("revision", "previous", "index", "columns", "kept"),
    [
        (
            "0014",
            "0013",
            "ix_outbox_tenant_process_created",
            ["tenant_id", "process", "created_at"],
            "ix_outbox_tenant_created",
        ),
        (
            "0015",
            "0014",
            "ix_outbox_tenant_user_created",
            ["tenant_id", "user_id", "created_at"],
            "ix_outbox_tenant_process_created",
        ),
    ],
)
def test_the_outbox_gets_its_index_and_downgrade_removes_it(
    tmp_path: Path, revision: str, previous: str, index: str, columns: list[str], kept: str
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "head")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    assert indexes(engine)[index] == columns
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if TABLE in repr(d)] == []

    command.downgrade(alembic_config(settings), previous)
    assert index not in indexes(engine) and kept in indexes(engine)
    command.upgrade(alembic_config(settings), revision)
    assert indexes(engine)[index] == columns
    engine.dispose()
