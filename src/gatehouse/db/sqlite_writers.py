"""SQLite lets one connection write at a time. The writers of one process wait for it here, in
the order they came, instead of in SQLite's busy handler: that handler sleeps a waiting writer
for up to 100 ms at a time and lets a newcomer take the lock first, so under load a few
requests waited seconds (docs/benchmarks.md, *forgot password*). Readers never wait here (WAL).
Writers in other processes (a separate ``gatehouse worker``, the command line) still meet
SQLite's busy timeout.

A connection joins the queue before its first statement that may write and leaves it when it
is no longer in a transaction: after its commit or rollback, after a statement that did not
open one, or when it is closed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from typing import Any

import aiosqlite
import aiosqlite.context as aiosqlite_context

_READS = ("SELECT", "PRAGMA")  # anything else may write: it waits for its turn


class WriterQueue:
    """One per database file and event loop: the turn to write, first come, first served."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout  # as SQLite's busy timeout, with its error
        self._lock = asyncio.Lock()
        self._holder: object | None = None
        self.waiting = 0

    @property
    def holder(self) -> object | None:
        return self._holder

    async def enter(self, connection: object) -> None:
        if self._holder is connection:
            return
        self.waiting += 1
        try:
            async with asyncio.timeout(self._timeout):
                await self._lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        finally:
            self.waiting -= 1
        self._holder = connection

    def leave(self, connection: object) -> None:
        if self._holder is connection:
            self._holder = None
            self._lock.release()


class QueuedWriterConnection(aiosqlite.Connection):
    """An aiosqlite connection that takes its turn in ``writers`` before it writes."""

    def __init__(self, database: str, writers: WriterQueue, **connect_args: Any) -> None:
        super().__init__(lambda: sqlite3.connect(database, **connect_args), iter_chunk_size=64)
        self._writers = writers
        self._thread.daemon = True  # as SQLAlchemy sets it: an unclosed one must not block exit

    @aiosqlite_context.contextmanager  # as aiosqlite's own: SQLAlchemy enters it
    async def cursor(self) -> aiosqlite.Cursor:
        raw_cursor = await self._execute(self._conn.cursor)  # type: ignore[no-untyped-call]
        return _QueuedWriterCursor(self, raw_cursor)

    async def wait_to_write(self, sql: str) -> None:
        if not sql.lstrip()[:6].upper().startswith(_READS):
            await self._writers.enter(self)

    def done_writing(self) -> None:
        if self._writers.holder is self and not self._in_transaction():
            self._writers.leave(self)

    def _in_transaction(self) -> bool:
        try:
            return self.in_transaction
        except ValueError:  # closed: no transaction left
            return False

    async def commit(self) -> None:
        try:
            await super().commit()
        finally:
            self.done_writing()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self.done_writing()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._writers.leave(self)

    def stop(self) -> asyncio.Future[Any] | None:
        self._writers.leave(self)  # SQLAlchemy terminates an invalidated connection this way
        return super().stop()


class _QueuedWriterCursor(aiosqlite.Cursor):
    _conn: QueuedWriterConnection

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> aiosqlite.Cursor:
        await self._conn.wait_to_write(sql)
        try:
            return await super().execute(sql, parameters)
        finally:
            self._conn.done_writing()

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> aiosqlite.Cursor:
        await self._conn.wait_to_write(sql)
        try:
            return await super().executemany(sql, parameters)
        finally:
            self._conn.done_writing()


def queued_writers_connector(
    writers: WriterQueue,
) -> Any:
    """The ``async_creator_fn`` for SQLAlchemy's aiosqlite dialect (``connect_args``)."""

    def connect(database: str, **connect_args: Any) -> QueuedWriterConnection:
        return QueuedWriterConnection(database, writers, **connect_args)

    return connect
