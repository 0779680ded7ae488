"""Migration 0004 (written by hand) on a database of its own: it creates exactly what the models
describe, keeps queued e-mails, and its downgrade removes what it added."""

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
from tests.support.migrations import add_tenants

TABLES = {"template_sets", "email_templates", "applications", "process_settings", "email_otp_codes"}
OUTBOX_COLUMNS = {"application_id", "template_set_id"}
# 0008's column (and index) in 0004's tables (test_migration_0008 checks it), and 0009's
# application_id of link_tokens (an outbox column's name too)
LATER = ("name_key", "link_tokens")


def _concerns_0004(diff: object) -> bool:
    """Whether an autogenerate difference is about a table or column 0004 owns."""
    text = repr(diff)
    return not any(later in text for later in LATER) and any(
        name in text for name in (*TABLES, *OUTBOX_COLUMNS)
    )


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_schema_matches_the_models_and_downgrade_removes_it(tmp_path: Path) -> None:
    """0003 -> 0004 keeps a queued e-mail, matches the models; 0004 -> 0003 drops it all."""
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0003")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    with engine.begin() as connection:
        add_tenants(connection, "acme")
        connection.execute(
            sa.text(
                "INSERT INTO outbox_messages (id, tenant_id, process, language, recipient,"
                " status, attempts, next_attempt_at, created_at) VALUES ('m1', 'acme',"
                " 'forgot-password', 'de', 'a@acme.test', 'queued', 0, '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00')"
            )
        )

    upgrade(settings, "0004")
    with engine.connect() as connection:
        kept = connection.execute(
            sa.text("SELECT id, application_id, template_set_id FROM outbox_messages")
        ).all()
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [tuple(row) for row in kept] == [("m1", None, None)]
    assert [d for d in diffs if _concerns_0004(d)] == []

    command.downgrade(alembic_config(settings), "0003")
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = set(inspector.get_table_names())
        columns = {c["name"] for c in inspector.get_columns("outbox_messages")}
        still = connection.execute(sa.text("SELECT id FROM outbox_messages")).scalar()
    assert not tables & TABLES
    assert not columns & OUTBOX_COLUMNS
    assert still == "m1"
    engine.dispose()
