"""The outcome recorder on its own, with a database stand-in whose writes fail on cue:
outcomes of delivered messages are kept while the database is away, and one is dropped only
after the database refused its values three times. (Against real databases:
tests/integration/test_delivery_records.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import sqlite3
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gatehouse.mail.dispatcher import Dispatcher, Job, Outcome, Queued, storable
from gatehouse.mail.recorder import DatabaseBehind, OutcomeRecorder, _refused_values

UNSTORABLE_REPLY = "250 2.0.0 Ok: queued as \udcfc"
REFUSED_M2 = (
    "the database refused the outcome of message m2: it stays leased and is sent again once "
    "its lease runs out"
)


def outcome(message_id: str) -> Outcome:
    message = Queued(
        id=message_id,
        tenant_id="acme",
        process="test-email",
        language="en",
        application_id=None,
        template_set_id=None,
        recipient=f"{message_id}@acme.test",
        context_json=None,
        attempts=1,
        created_at=datetime(2026, 11, 27, tzinfo=UTC),
    )
    job = Job(message=message, attempt_id=f"a-{message_id}", route=None, template=None, error=None)
    return Outcome(job, "250 OK", None, 1)


class Database:
    """Stands in for the dispatcher's writes: ``away`` fails every write as a database that
    cannot be reached does; ``refused`` fails a write holding one of those messages as a
    database refusing the values does (an integrity error); ``hold`` makes writes wait."""

    def __init__(self) -> None:
        self.away = False
        self.refused: set[str] = set()
        self.written: list[str] = []
        self.writes = 0
        self.hold: asyncio.Event | None = None

    async def record(self, outcomes: list[Outcome], lease_owner: str) -> None:
        self.writes += 1
        if self.hold is not None:
            await self.hold.wait()
        ids = [o.job.message.id for o in outcomes]
        if any(o.reply == UNSTORABLE_REPLY for o in outcomes):
            raise DataError("UPDATE ...", {}, ValueError("invalid byte sequence for UTF8"))
        if self.away:
            raise OperationalError("UPDATE ...", {}, ConnectionRefusedError("refused"))
        if self.refused.intersection(ids):
            raise IntegrityError("UPDATE ...", {}, ValueError("refused by a trigger"))
        self.written += ids


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def recorder_on(database: Database, clock: Clock | None = None) -> OutcomeRecorder:
    return OutcomeRecorder(cast(Dispatcher, database), owner="w1", clock=clock or Clock())


async def add(recorder: OutcomeRecorder, *message_ids: str) -> None:
    for message_id in message_ids:
        await recorder.add(outcome(message_id))


async def test_outcomes_are_kept_while_the_database_is_away() -> None:
    database = Database()
    recorder = recorder_on(database)
    await add(recorder, "m1", "m2", "m3")
    database.away = True
    for _ in range(10):  # however often: nothing is dropped
        with pytest.raises(DatabaseBehind):
            await recorder.flush()
    assert recorder.behind and recorder.unwritten == {"m1", "m2", "m3"}
    assert database.writes == 10 * 2  # the group, then the first alone: the rest not tried
    await add(recorder, "m4")
    database.away = False
    await recorder.flush()
    assert database.written == ["m1", "m2", "m3", "m4"]  # kept ones first
    assert not recorder.behind and recorder.unwritten == set()


async def test_an_outcome_refused_three_times_is_dropped_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database()
    database.refused = {"m2"}
    recorder = recorder_on(database)
    await add(recorder, "m1", "m2", "m3")
    with caplog.at_level(logging.ERROR, logger="gatehouse.mail.recorder"):
        for refusal in (1, 2):
            await recorder.flush()  # the database is not away: no DatabaseBehind
            assert recorder.unwritten == {"m2"} and recorder.behind, refusal
        await add(recorder, "m4")
        await recorder.flush()  # the third refusal: dropped
    assert database.written == ["m1", "m3", "m4"]
    assert not recorder.behind and recorder.unwritten == set()
    assert [r.getMessage() for r in caplog.records] == [REFUSED_M2]


async def test_an_outcome_refused_for_its_text_is_recorded_bare_at_last(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Given up on, the outcome is written without the server's text, so its message is not
    sent again."""
    database = Database()
    recorder = recorder_on(database)
    unstorable = dataclasses.replace(outcome("m2"), reply=UNSTORABLE_REPLY)
    for message in (outcome("m1"), unstorable, outcome("m3")):
        await recorder.add(message)
    with caplog.at_level(logging.ERROR, logger="gatehouse.mail.recorder"):
        for _ in range(3):
            await recorder.flush()
    assert database.written == ["m1", "m3", "m2"]
    assert not recorder.behind and recorder.unwritten == set()
    assert [r.getMessage() for r in caplog.records] == [
        "the database refused the outcome of message m2; it was recorded without the server's text"
    ]


async def test_every_outcome_refused_is_a_fault_of_the_write_not_of_the_values() -> None:
    """None dropped: a new constraint, say, that no outcome meets."""
    database = Database()
    database.refused = {"m1", "m2"}
    recorder = recorder_on(database)
    await add(recorder, "m1", "m2")
    for _ in range(5):
        with pytest.raises(DatabaseBehind):
            await recorder.flush()
    assert recorder.unwritten == {"m1", "m2"} and recorder.behind


async def test_a_group_refused_for_its_text_alone_is_recorded_bare_at_last(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every outcome of the group refused, but for their values: once given up on, their bare
    forms are taken, so they are written rather than kept (and retried) for ever."""
    database = Database()
    recorder = recorder_on(database)
    for message_id in ("m1", "m2"):
        await recorder.add(dataclasses.replace(outcome(message_id), reply=UNSTORABLE_REPLY))
    with caplog.at_level(logging.ERROR, logger="gatehouse.mail.recorder"):
        for _ in range(2):
            with pytest.raises(DatabaseBehind):
                await recorder.flush()
        await recorder.flush()
    assert database.written == ["m1", "m2"]
    assert not recorder.behind and recorder.unwritten == set()
    bare = (
        "the database refused the outcome of message {}; it was recorded without the server's text"
    )
    assert [r.getMessage() for r in caplog.records][-2:] == [bare.format("m1"), bare.format("m2")]


async def test_a_late_comer_to_a_group_given_up_on_is_refused_three_times_too() -> None:
    """An outcome that joined the group at its third refusal was refused once then: as one
    refused alone, it is recorded bare at its own third refusal, not at its second."""
    database = Database()
    recorder = recorder_on(database)
    for message_id in ("m1", "m2"):
        await recorder.add(dataclasses.replace(outcome(message_id), reply=UNSTORABLE_REPLY))
    for _ in range(2):
        with pytest.raises(DatabaseBehind):
            await recorder.flush()
    await recorder.add(dataclasses.replace(outcome("m3"), reply=UNSTORABLE_REPLY))
    await recorder.flush()  # m1 and m2 bare; m3 refused once
    assert database.written == ["m1", "m2"] and recorder.unwritten == {"m3"}
    await recorder.flush()  # m3 refused twice
    assert database.written == ["m1", "m2"] and recorder.unwritten == {"m3"}
    await recorder.flush()  # the third time: recorded bare
    assert database.written == ["m1", "m2", "m3"]
    assert not recorder.behind and recorder.unwritten == set()


async def test_refused_outcomes_do_not_slow_the_others_down() -> None:
    """A refusal is no sign of a database away: the next flush is not put off."""
    clock = Clock()
    database = Database()
    database.refused = {"m1"}
    recorder = recorder_on(database, clock)
    await add(recorder, "m1")
    clock.now += 0.06
    await recorder.flush_due()
    await add(recorder, "m2")
    clock.now += 0.06
    await recorder.flush_due()
    assert database.written == ["m2"]


async def test_the_database_going_away_midway_keeps_what_is_left() -> None:
    database = Database()
    recorder = recorder_on(database)
    await add(recorder, *(f"m{n}" for n in range(10)))

    async def record(outcomes: list[Outcome], lease_owner: str) -> None:
        database.away = database.writes != 1  # the group fails, m0 is written, then away
        await Database.record(database, outcomes, lease_owner)

    database.record = record  # type: ignore[method-assign]
    with pytest.raises(DatabaseBehind):
        await recorder.flush()
    assert database.written == ["m0"] and database.writes == 3  # m1 failed: no more tried
    assert recorder.unwritten == {f"m{n}" for n in range(1, 10)}


async def test_outcomes_added_during_a_failing_flush_come_after_the_kept_ones() -> None:
    database = Database()
    recorder = recorder_on(database)
    await add(recorder, "m1", "m2")
    database.away, database.hold = True, asyncio.Event()
    flushing = asyncio.create_task(recorder.flush())
    await asyncio.sleep(0)
    await add(recorder, "m3")
    database.hold.set()
    with pytest.raises(DatabaseBehind):
        await flushing
    database.away, database.hold = False, None
    await recorder.flush()
    assert database.written == ["m1", "m2", "m3"]


async def test_a_cancelled_flush_keeps_what_it_had_not_written() -> None:
    database = Database()
    recorder = recorder_on(database)
    await add(recorder, "m1", "m2")
    database.hold = asyncio.Event()
    flushing = asyncio.create_task(recorder.flush())
    await asyncio.sleep(0)
    flushing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flushing
    assert recorder.behind  # so the pump and a stopping worker write them
    database.hold = None
    await recorder.flush()
    assert database.written == ["m1", "m2"]


async def test_a_due_flush_waits_for_one_under_way() -> None:
    """Timers finding a flush under way leave it be: one queued behind it would run as soon
    as it failed, without the backoff."""
    clock = Clock()
    database = Database()
    recorder = recorder_on(database, clock)
    await add(recorder, "m1")
    database.away, database.hold = True, asyncio.Event()
    clock.now += 0.06
    first = asyncio.create_task(recorder.flush_due())
    await asyncio.sleep(0)
    await recorder.flush_due()  # returns at once: no second flush queued
    database.hold.set()
    with pytest.raises(DatabaseBehind):
        await first
    assert database.writes == 2  # one flush: the group, then m1 alone


async def test_flushes_while_the_database_is_away_back_off() -> None:
    clock = Clock()
    database = Database()
    recorder = recorder_on(database, clock)
    await add(recorder, "m1")
    database.away = True
    tried_at: list[float] = []
    for _ in range(200):  # two seconds of a batch's timer calling flush_due
        clock.now += 0.01
        writes = database.writes
        with contextlib.suppress(DatabaseBehind):
            await recorder.flush_due()
        if database.writes != writes:
            tried_at.append(clock.now)
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(tried_at)]
    # FLUSH_SECONDS * 2**failures, to within one 10 ms tick
    assert gaps == pytest.approx([0.1, 0.2, 0.4, 0.8], abs=0.011)
    database.away = False
    await recorder.flush()  # written before the backoff is over (a batch ending, say)
    assert database.written == ["m1"]
    await add(recorder, "m2")  # then written as usual again: no backoff left over
    clock.now += 0.06
    await recorder.flush_due()
    assert database.written == ["m1", "m2"]


class _DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _dbapi(sqlstate: str | None) -> DBAPIError:
    return DBAPIError("UPDATE ...", {}, _DriverError(sqlstate))


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (IntegrityError("UPDATE ...", {}, sqlite3.IntegrityError("refused by a trigger")), True),
        (OperationalError("UPDATE ...", {}, sqlite3.OperationalError("database is locked")), False),
        (_dbapi("22001"), True),  # string data right truncation
        (_dbapi("23503"), True),  # foreign key violation
        (_dbapi("P0001"), True),  # raised by a trigger
        (_dbapi("25006"), False),  # read-only transaction (a standby after failover)
        (_dbapi("53100"), False),  # disk full
        (_dbapi("55000"), False),  # the database not accepting connections
        (_dbapi("57014"), False),  # statement timeout
        (_dbapi(None), False),  # the connection lost
        (StatementError("bad value", "UPDATE ...", {}, TypeError("not a date")), True),
        (ProgrammingError("UPDATE ...", {}, sqlite3.ProgrammingError("Error binding")), True),
        (PoolTimeout("no connection in time"), False),
        (ConnectionResetError(), False),
        (TimeoutError(), False),
        (KeyError("b_outcome"), True),  # a bug in our values
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_refused_values_or_a_database_away(error: Exception, refused: bool) -> None:
    assert _refused_values(error) is refused


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("250 2.0.0 Ok", "250 2.0.0 Ok"),
        ("250 Übermittelt", "250 Übermittelt"),
        ("250 Ok \udcfc", "250 Ok \ufffd"),  # a byte that was not UTF-8, as aiosmtplib keeps it
        ("250 Ok\x00", "250 Ok"),
        ("250 \ud800", "250 ?"),  # a lone surrogate of no byte
    ],
)
def test_storable_text(text: str, stored: str) -> None:
    assert storable(text) == stored
