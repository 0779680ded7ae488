"""SQLite lets one connection write at a time. The writers of one process wait for it here, in
the order they came, instead of in SQLite's busy handler: that handler sleeps a waiting writer
for up to 100 ms at a time and lets a newcomer take the lock first, so under load a few
requests waited seconds (docs/benchmarks.md, *forgot password*). SELECTs never wait here (WAL).
Writers in other processes (a separate ``gatehouse worker``, the command line) still meet
SQLite's busy timeout once their turn has come.

A connection joins the queue before a statement that may write (any but SELECT and PRAGMA) and
leaves it when it is no longer in a transaction: after its commit or rollback, after a
statement that did not open one, or when it is closed or stopped."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aiosqlite
import aiosqlite.context as aiosqlite_context

_READS = ("SELECT", "PRAGMA")  # anything else may write: it waits for its turn


class WriterQueue:
    """One per engine (so per database file and event loop): the turn to write, first come,
    first served."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout  # as SQLite's busy timeout, with its error
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: object | None = None
        self._waiting = 0

    @property
    def holder(self) -> object | None:
        return self._holder

    @property
    def waiting(self) -> int:
        return self._waiting

    async def enter(self, connection: object) -> None:
        if self._holder is connection:
            return
        self._waiting += 1
        try:
            async with asyncio.timeout(self._timeout):
                await self._lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        finally:
            self._waiting -= 1
        self._holder, self._loop = connection, asyncio.get_running_loop()

    def leave(self, connection: object) -> None:
        """Safe from any thread: SQLAlchemy stops a connection it collects as garbage on
        whichever thread the collector runs, and an asyncio lock is released on its loop."""
        if self._holder is not connection:
            return
        if self._loop is not None and not _running(self._loop):
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                self._loop.call_soon_threadsafe(self.leave, connection)
            return
        self._holder = None
        self._lock.release()


def _running(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


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

    async def written(self, statement: Awaitable[aiosqlite.Cursor]) -> aiosqlite.Cursor:
        """``statement`` awaited, then the turn given back if no transaction is left open. A
        cancelled one may still run on aiosqlite's thread: its rollback or close gives the turn
        back (SQLAlchemy does one or the other), not a look at it before it has run."""
        try:
            cursor = await statement
        except asyncio.CancelledError:
            raise
        except BaseException:
            self.done_writing()
            raise
        self.done_writing()
        return cursor

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
            if self._in_transaction():
                # A statement cut short (a cancelled task) would keep the connection open past
                # close, and its transaction with SQLite's lock: roll back first.
                with contextlib.suppress(sqlite3.Error):
                    await super().rollback()
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
        return await self._conn.written(super().execute(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> aiosqlite.Cursor:
        await self._conn.wait_to_write(sql)
        return await self._conn.written(super().executemany(sql, parameters))


def queued_writers_connector(writers: WriterQueue) -> Callable[..., QueuedWriterConnection]:
    """The ``async_creator_fn`` for SQLAlchemy's aiosqlite dialect (``connect_args``)."""

    def connect(database: str, **connect_args: Any) -> QueuedWriterConnection:
        return QueuedWriterConnection(database, writers, **connect_args)

    return connect
