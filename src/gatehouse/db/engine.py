"""The async engine and session factory for SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from gatehouse.db.sqlite_writers import WriterQueue, queued_writers_connector
from gatehouse.settings import Settings

SessionFactory = async_sessionmaker[AsyncSession]
SQLITE_BUSY_SECONDS = 30


class _NoStatementRecords(logging.Filter):
    """aiosqlite logs every statement with its bound parameters at DEBUG, SQLAlchemy every
    result row (links in e-mails waiting to be sent among them): drop those records, whatever
    level an operator turns on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_STATEMENTS = _NoStatementRecords()


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine for the configured database; SQLite gets WAL and a busy timeout so the web
    requests and the in-process worker can write side by side."""
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(_NO_STATEMENTS)  # result rows
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logging.getLogger("aiosqlite").addFilter(_NO_STATEMENTS)  # once: same instance
        # Writers wait their turn in a queue, as long as SQLite's busy timeout (sqlite_writers).
        connect_args = {
            "timeout": SQLITE_BUSY_SECONDS,
            "async_creator_fn": queued_writers_connector(WriterQueue(SQLITE_BUSY_SECONDS)),
        }
        # hide_parameters: statements logged (or quoted in errors) never show bound values.
        engine = create_async_engine(url, connect_args=connect_args, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module opens a transaction before INSERT, UPDATE, DELETE and REPLACE. The
    # busy timeout is set by the connection's ``timeout`` (SQLITE_BUSY_SECONDS).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"
