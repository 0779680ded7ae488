"""Migrations that add a table, each on a database of its own: the table matches its model,
with its indexes, and the downgrade removes it. 0011: self-registrations per client network;
0016: failed logons and forgot-password requests per client network."""

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


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
@pytest.mark.parametrize(
    ("revision", "previous", "table", "indexes"),
    [
        (
            "0011",
            "0010",
            "registration_requests",
            {"ix_registration_requests_tenant_created": ["tenant_id", "created_at"]},
        ),
        (
            "0016",
            "0015",
            "client_attempts",
            {
                "ix_client_attempts_count": ["tenant_id", "kind", "network", "created_at"],
                "ix_client_attempts_created": ["created_at"],
            },
        ),
    ],
)
def test_schema_matches_the_model_and_downgrade_removes_it(
    tmp_path: Path, revision: str, previous: str, table: str, indexes: dict[str, list[str]]
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, revision)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        found = {i["name"]: i["column_names"] for i in sa.inspect(connection).get_indexes(table)}
    assert [d for d in diffs if table in repr(d)] == []
    assert found == indexes

    command.downgrade(alembic_config(settings), previous)
    with engine.connect() as connection:
        assert table not in sa.inspect(connection).get_table_names()
    engine.dispose()
