"""Migration 0003 on a database of its own: an API client created before it keeps working (its
secret moves to the secrets table, without expiry), and the downgrade puts it back."""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from gatehouse.accounts.passwords import hash_password, verify_password
from gatehouse.db.migrate import alembic_config, upgrade
from gatehouse.settings import Settings
from tests.support.migrations import add_tenants


def test_client_secret_survives_upgrade_and_downgrade(tmp_path: Path) -> None:
    """0002 client -> 0003 secret row (never expires) -> 0002 column again, same hash."""
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0002")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    client_id, secret_hash = str(uuid.uuid4()), hash_password("old-secret")
    with engine.begin() as connection:
        add_tenants(connection, "acme")
        connection.execute(
            sa.text(
                "INSERT INTO api_clients (id, tenant_id, name, secret_hash, authorizations,"
                " created_at) VALUES (:id, 'acme', 'old', :hash, 'read-users',"
                " '2026-01-01 00:00:00')"
            ),
            {"id": client_id, "hash": secret_hash},
        )

    upgrade(settings, "0003")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT client_id, tenant_id, secret_hash, expires_at FROM api_client_secrets")
        ).all()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("api_clients")}
    assert [(r.client_id, r.tenant_id, r.expires_at) for r in rows] == [(client_id, "acme", None)]
    assert verify_password(rows[0].secret_hash, "old-secret")
    assert "secret_hash" not in columns

    command.downgrade(alembic_config(settings), "0002")
    with engine.connect() as connection:
        restored = connection.execute(sa.text("SELECT secret_hash FROM api_clients")).scalar()
        tables = sa.inspect(connection).get_table_names()
    assert restored == secret_hash
    assert "api_client_secrets" not in tables and "limited_emails" not in tables
    engine.dispose()
