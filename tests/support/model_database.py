"""A fresh SQLite database made from the models, for unit tests of one module that need real
rows (no migrations: the models are what the module reads and writes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from gatehouse.db.engine import SessionFactory, create_engine, create_session_factory
from gatehouse.db.models import Base
from gatehouse.settings import Settings
from gatehouse.tenants.service import create_tenant


@asynccontextmanager
async def model_database(directory: Path, *tenant_ids: str) -> AsyncIterator[SessionFactory]:
    """Its sessions, with a tenant of each ID (named by it, "one" as "One")."""
    settings = Settings(_env_file=None, data_dir=directory, database_url="")
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:
        for tenant_id in tenant_ids:
            await create_tenant(session, display_name=tenant_id.title(), tenant_id=tenant_id)
    try:
        yield sessions
    finally:
        await engine.dispose()
