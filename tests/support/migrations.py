"""Rows for a migration's test, written as the schema of the revision under test holds them
(raw SQL, not the models, which follow the newest revision)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from gatehouse.db.base import UtcDateTime

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
INSERT_TENANT = sa.text(
    "INSERT INTO tenants (id, display_name, region, license_type, created_at)"
    " VALUES (:id, :id, 'r', 'test', :created)"
).bindparams(sa.bindparam("created", type_=UtcDateTime()))


def add_tenants(connection: sa.Connection, *tenant_ids: str) -> None:
    """Tenants of these IDs (each named by its ID), as every revision's ``tenants`` takes them."""
    connection.execute(INSERT_TENANT, [{"id": t, "created": CREATED} for t in tenant_ids])
