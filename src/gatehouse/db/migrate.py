"""Applies the Alembic migrations shipped inside the package (``gatehouse db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from gatehouse.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The URL goes in through attributes, not the ini, so '%' in passwords needs no escaping.
    config.attributes["database_url"] = settings.resolved_database_url()
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to ``revision``; creates the SQLite data directory if needed (only
    then: on PostgreSQL the data directory may not exist, nor be writable, for its user)."""
    if settings.resolved_database_url().startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)
