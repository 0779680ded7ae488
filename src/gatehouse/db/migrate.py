"""Applies the Alembic migrations shipped inside the package (``gatehouse db upgrade``), and
tells whether a database has them all: the other commands refuse to start on one that does not
(they started, answered every page with 500 and /healthz with "ok")."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # alembic's default, which migrations/env.py keeps
NOT_UPGRADED = (
    "The database is at revision {current}, and this release needs {head}: run "
    "`gatehouse db upgrade` first (once per release, before the new processes start)."
)


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The URL goes in through attributes, not the ini, so '%' in passwords needs no escaping.
    config.attributes["database_url"] = settings.resolved_database_url()
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to ``revision``; creates the SQLite data directory if needed (only
    then: on PostgreSQL the data directory may not exist, nor be writable, for its user)."""
    if settings.uses_sqlite():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


def _current_revision(connection: Connection) -> str | None:
    # Read directly: alembic's MigrationContext logs two INFO lines at every command's start.
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(revision) if revision is not None else None


async def schema_problem(engine: AsyncEngine) -> str | None:
    """Why the database cannot serve this release (its migrations are not all applied), or
    None. Raises what the driver raises when the database cannot be reached."""
    async with engine.connect() as connection:
        current = await connection.run_sync(_current_revision)
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    head = scripts.get_current_head()
    known = {script.revision for script in scripts.walk_revisions()}
    # A revision this release does not know is a later release's: during a rolling upgrade
    # the database is migrated first, and the processes still on this release keep working.
    if current == head or (current is not None and current not in known):
        return None
    return NOT_UPGRADED.format(current=current or "none (empty)", head=head)
