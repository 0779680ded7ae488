"""The outcome recorder on its own, with a database stand-in whose writes fail on cue:
outcomes of delivered messages are kept while the database is away, and one is dropped only
after the answering database refused it three times. (Against real databases:
tests/integration/test_delivery_records.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from datetime import UTC, datetime
from typing import cast

import pytest

from gatehouse.mail.dispatcher import Dispatcher, Job, Outcome, Queued
from gatehouse.mail.recorder import DatabaseBehind, OutcomeRecorder

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
    """Stands in for the dispatcher's writes: ``away`` fails every write and query;
    ``refused`` fails any write holding one of those messages; ``hold`` makes writes wait."""

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
        if self.away or self.refused.intersection(ids):
            raise RuntimeError("the database failed")
        self.written += ids

    async def database_answers(self) -> bool:
        return not self.away


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
    await add(recorder, "m1", "m2", "m3", "m4", "m5")
    database.away = True
    with pytest.raises(DatabaseBehind):
        await recorder.flush()
    assert recorder.behind and recorder.unwritten == {"m1", "m2", "m3", "m4", "m5"}
    assert database.writes == 1 + 3  # the group, then three alone: the rest are not tried
    await add(recorder, "m6")
    database.away = False
    await recorder.flush()
    assert database.written == ["m4", "m5", "m1", "m2", "m3", "m6"]  # kept ones first
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
            with pytest.raises(DatabaseBehind):
                await recorder.flush()
            assert recorder.unwritten == {"m2"}, refusal
        await recorder.flush()  # the third refusal: dropped, nothing kept
    assert database.written == ["m1", "m3"]
    assert not recorder.behind and recorder.unwritten == set()
    assert [r.getMessage() for r in caplog.records] == [REFUSED_M2]


async def test_a_lone_refused_outcome_is_dropped_once_the_database_answers() -> None:
    """No other write succeeds beside it, but the database answers a query: refused."""
    database = Database()
    database.refused = {"m2"}
    recorder = recorder_on(database)
    await add(recorder, "m2")
    for _ in range(2):
        with pytest.raises(DatabaseBehind):
            await recorder.flush()
    await recorder.flush()
    assert recorder.unwritten == set() and not recorder.behind


async def test_refused_outcomes_first_do_not_block_the_others() -> None:
    """Three refused outcomes ahead of the rest stop the flush; they are kept after the
    untried ones, so the next flush writes those first."""
    database = Database()
    database.refused = {"m1", "m2", "m3"}
    recorder = recorder_on(database)
    await add(recorder, "m1", "m2", "m3", "m4")
    with pytest.raises(DatabaseBehind):
        await recorder.flush()
    assert database.written == []
    with pytest.raises(DatabaseBehind):
        await recorder.flush()
    assert database.written == ["m4"]


async def test_the_database_failing_midway_keeps_what_is_left() -> None:
    """Writes that fail after one succeeded count a refusal, not a drop; the untried stay."""
    database = Database()
    recorder = recorder_on(database)
    await add(recorder, *(f"m{n}" for n in range(10)))

    async def record(outcomes: list[Outcome], lease_owner: str) -> None:
        database.away = database.writes != 1  # the group fails, m0 is written, then away
        await Database.record(database, outcomes, lease_owner)

    database.record = record  # type: ignore[method-assign]
    with pytest.raises(DatabaseBehind):
        await recorder.flush()
    assert database.written == ["m0"]
    assert recorder.unwritten == {f"m{n}" for n in range(1, 10)}  # none dropped


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
    database.hold = None
    await recorder.flush()
    assert database.written == ["m1", "m2"]


async def test_flushes_of_kept_outcomes_back_off_and_stop_once_written() -> None:
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
    clock.now += 2
    await recorder.flush_due()
    assert database.written == ["m1"]
    await add(recorder, "m2")  # written as usual again: no backoff left over
    clock.now += 0.06
    await recorder.flush_due()
    assert database.written == ["m1", "m2"]
