"""db.sqlite_writers against real SQLite files: writers of one process take turns in the order
they came (not in SQLite's sleeping busy handler), readers never wait, and a turn ends with
the transaction however it ends (commit, rollback, a failed or read-only statement, autocommit,
an invalidated connection), also for a statement cut short and from another thread. The
engine of ``create_engine`` uses it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from gatehouse.db.engine import create_engine
from gatehouse.db.sqlite_writers import (
    QueuedWriterConnection,
    WriterQueue,
    queued_writers_connector,
)
from gatehouse.settings import Settings

INSERT = text("INSERT INTO notes (id, who) VALUES (:id, :who)")


def _engine(path: Path, writers: WriterQueue, **options: Any) -> AsyncEngine:
    connect_args = {"timeout": 30, "async_creator_fn": queued_writers_connector(writers)}
    return create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args=connect_args, **options)


@pytest.fixture
def writers() -> WriterQueue:
    return WriterQueue(timeout=30)


@pytest.fixture
async def engine(tmp_path: Path, writers: WriterQueue) -> AsyncIterator[AsyncEngine]:
    engine = _engine(tmp_path / "notes.sqlite3", writers)
    async with engine.begin() as connection:
        await connection.execute(text("PRAGMA journal_mode=WAL"))
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, who TEXT)"))
    yield engine
    await engine.dispose()


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.001)


async def _holding_a_write(engine: AsyncEngine) -> AsyncConnection:
    connection = await engine.connect()
    await connection.execute(INSERT, {"id": 1, "who": "first"})
    return connection


async def test_writers_take_turns_in_the_order_they_came(
    engine: AsyncEngine, writers: WriterQueue
) -> None:
    first = await _holding_a_write(engine)
    committed: list[str] = []

    async def write(number: int, who: str) -> None:
        async with engine.begin() as connection:
            await connection.execute(INSERT, {"id": number, "who": who})
            # Noted while holding the turn: after the commit, the next writer may already
            # have written before this task runs again (a loaded machine).
            committed.append(who)

    waiting = []
    for number, who in enumerate(["second", "third", "fourth"], start=2):
        waiting.append(asyncio.create_task(write(number, who)))
        await _until(lambda: writers.waiting == len(waiting))  # in line before the next comes
    assert committed == []
    await first.commit()
    await first.close()
    async with asyncio.timeout(10):
        await asyncio.gather(*waiting)
    assert committed == ["second", "third", "fourth"]
    assert writers.holder is None and writers.waiting == 0


async def test_readers_do_not_wait_for_a_writer(engine: AsyncEngine, writers: WriterQueue) -> None:
    first = await _holding_a_write(engine)
    async with asyncio.timeout(5), engine.connect() as reader:
        count = await reader.scalar(text("SELECT count(*) FROM notes"))
    assert count == 0  # WAL: the reader sees what was committed before
    assert writers.waiting == 0 and writers.holder is not None
    await first.rollback()
    assert writers.holder is None
    await first.close()


@pytest.mark.parametrize("end", ["commit", "rollback", "close", "invalidate"])
async def test_the_turn_ends_with_the_transaction(
    engine: AsyncEngine, writers: WriterQueue, end: str
) -> None:
    connection = await _holding_a_write(engine)
    assert writers.holder is not None
    ends: dict[str, Callable[[], Awaitable[None]]] = {
        "commit": connection.commit,
        "rollback": connection.rollback,
        "close": connection.close,  # the pool rolls back on return
        "invalidate": connection.invalidate,  # SQLAlchemy terminates the driver connection
    }
    await ends[end]()
    assert writers.holder is None
    await connection.close()
    async with asyncio.timeout(5), engine.begin() as other:
        await other.execute(INSERT, {"id": 2, "who": "next"})


async def test_a_failed_write_keeps_the_turn_until_its_rollback(
    engine: AsyncEngine, writers: WriterQueue
) -> None:
    async with engine.begin() as connection:
        await connection.execute(INSERT, {"id": 1, "who": "first"})
    connection = await engine.connect()
    with pytest.raises(IntegrityError):
        await connection.execute(INSERT, {"id": 1, "who": "again"})
    await connection.rollback()
    assert writers.holder is None
    await connection.close()


async def test_a_read_takes_no_turn_and_autocommit_gives_it_back_at_once(
    tmp_path: Path, engine: AsyncEngine, writers: WriterQueue
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT count(*) FROM notes"))
        assert writers.holder is None
    autocommit = _engine(tmp_path / "notes.sqlite3", writers, isolation_level="AUTOCOMMIT")
    try:
        async with autocommit.connect() as connection:
            await connection.execute(INSERT, {"id": 5, "who": "autocommit"})
            assert writers.holder is None  # no transaction is left open to wait for
    finally:
        await autocommit.dispose()


async def test_a_writer_that_waits_too_long_gets_sqlites_error(tmp_path: Path) -> None:
    writers = WriterQueue(timeout=0.2)
    engine = _engine(tmp_path / "short.sqlite3", writers)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, who TEXT)"))
        first = await _holding_a_write(engine)
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as second:
                await second.execute(INSERT, {"id": 2, "who": "second"})
        assert writers.waiting == 0
        await first.commit()
        await first.close()
        async with engine.begin() as second:
            await second.execute(INSERT, {"id": 2, "who": "second"})
    finally:
        await engine.dispose()


async def test_the_gatehouse_engine_queues_its_sqlite_writers(tmp_path: Path) -> None:
    engine = create_engine(Settings(_env_file=None, data_dir=tmp_path, database_url=""))
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, QueuedWriterConnection)
            busy = await connection.scalar(text("PRAGMA busy_timeout"))
        assert busy == 30_000  # other processes' writers still wait as long
    finally:
        await engine.dispose()


async def test_a_stopped_driver_connection_gives_its_turn_back(
    engine: AsyncEngine, writers: WriterQueue
) -> None:
    """SQLAlchemy stops a connection it cannot close (one collected outside the event loop)."""
    connection = await _holding_a_write(engine)
    raw = await connection.get_raw_connection()
    stopped = raw.driver_connection.stop()
    assert writers.holder is None
    if stopped is not None:
        await stopped
    await connection.invalidate()
    await connection.close()


def _sqlite_lock_free(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


async def test_a_statement_cut_short_leaves_no_lock_behind(
    tmp_path: Path, engine: AsyncEngine, writers: WriterQueue
) -> None:
    """A task cancelled while a statement returning rows runs in its write transaction: the
    connection is closed with that statement unfinished, which would keep the transaction,
    and SQLite's lock, open past close."""
    loop = asyncio.get_running_loop()
    victim: asyncio.Task[None] | None = None

    def cancel_meanwhile(value: str) -> str:  # runs on aiosqlite's thread, mid-statement
        assert victim is not None
        loop.call_soon_threadsafe(victim.cancel)
        time.sleep(0.2)
        return value

    @event.listens_for(engine.sync_engine, "connect")
    def add_function(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("cancel_meanwhile", 1, cancel_meanwhile)

    await engine.dispose()  # connect again, with the function

    async def write_then_read() -> None:
        async with engine.begin() as connection:
            await connection.execute(INSERT, {"id": 1, "who": "first"})
            await connection.execute(text("SELECT cancel_meanwhile(who) FROM notes"))

    victim = asyncio.create_task(write_then_read())
    with pytest.raises(asyncio.CancelledError):
        await victim
    assert writers.holder is None
    assert _sqlite_lock_free(tmp_path / "notes.sqlite3")


async def test_a_turn_given_back_on_another_thread_reaches_the_next_writer() -> None:
    """SQLAlchemy stops a connection it collects as garbage on whichever thread collects."""
    writers = WriterQueue(timeout=30)
    first, second = object(), object()
    await writers.enter(first)
    waiting = asyncio.create_task(writers.enter(second))
    await _until(lambda: writers.waiting == 1)
    elsewhere = threading.Thread(target=writers.leave, args=(first,))
    elsewhere.start()
    elsewhere.join()
    assert writers.holder is first  # handed to the event loop, not released off it
    await asyncio.wait_for(waiting, 5)
    assert writers.holder is second


async def test_a_write_cancelled_before_it_ran_keeps_the_turn_until_rolled_back(
    tmp_path: Path, engine: AsyncEngine, writers: WriterQueue
) -> None:
    """Cancelled while waiting for aiosqlite's thread, the INSERT still runs there: giving the
    turn back at once would let the next writer meet SQLite's lock in the busy handler."""
    connection = await QueuedWriterConnection(str(tmp_path / "notes.sqlite3"), writers)
    try:
        cursor = await connection.cursor()
        busy = asyncio.ensure_future(connection._execute(time.sleep, 0.3))  # the thread is busy
        victim = asyncio.create_task(cursor.execute("INSERT INTO notes (id, who) VALUES (1, 'a')"))
        await _until(lambda: writers.holder is connection)
        victim.cancel()
        with pytest.raises(asyncio.CancelledError):
            await victim
        assert writers.holder is connection  # the INSERT has not run yet: no transaction to see
        await busy
        await connection.rollback()
        assert writers.holder is None
    finally:
        await connection.close()
