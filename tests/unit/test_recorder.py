"""The outcome recorder on its own, with a dispatcher whose writes fail on cue: outcomes of
delivered messages are kept while the database is away, and only one the database refuses
while it takes others is dropped. (Against a real database: tests/integration/
test_delivery_records.py.)"""

from __future__ import annotations

import contextlib
import itertools
import logging
from datetime import UTC, datetime
from typing import cast

import pytest

from gatehouse.mail import recorder
from gatehouse.mail.dispatcher import Dispatcher, Job, Outcome, Queued
from gatehouse.mail.recorder import DatabaseBehind, OutcomeRecorder


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
    """Stands in for Dispatcher.record: ``away`` fails every write; ``refused`` fails any
    write holding one of those messages."""

    def __init__(self) -> None:
        self.away = False
        self.refused: set[str] = set()
        self.written: list[str] = []
        self.tries = 0

    async def record(self, outcomes: list[Outcome], lease_owner: str) -> None:
        self.tries += 1
        ids = [o.job.message.id for o in outcomes]
        if self.away or self.refused.intersection(ids):
            raise RuntimeError("the database failed")
        self.written += ids


def recorder_on(database: Database) -> OutcomeRecorder:
    return OutcomeRecorder(cast(Dispatcher, database), owner="w1")


async def add(outcomes_recorder: OutcomeRecorder, *message_ids: str) -> None:
    for message_id in message_ids:
        await outcomes_recorder.add(outcome(message_id))


async def test_outcomes_are_kept_while_the_database_is_away() -> None:
    database = Database()
    outcomes = recorder_on(database)
    await add(outcomes, "m1", "m2", "m3", "m4")
    database.away = True
    with pytest.raises(DatabaseBehind):
        await outcomes.flush()
    assert outcomes.behind
    assert database.tries == 1 + recorder.AWAY_AFTER  # the group, then three alone: no more
    await add(outcomes, "m5")
    database.away = False
    await outcomes.flush()
    assert sorted(database.written) == ["m1", "m2", "m3", "m4", "m5"]
    assert not outcomes.behind


async def test_an_outcome_the_database_refuses_is_dropped_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database()
    database.refused = {"m2"}
    outcomes = recorder_on(database)
    await add(outcomes, "m1", "m2", "m3")
    with caplog.at_level(logging.ERROR, logger="gatehouse.mail.recorder"):
        await outcomes.flush()
    assert database.written == ["m1", "m3"]
    assert not outcomes.behind
    assert [r.getMessage() for r in caplog.records] == [
        "the database refused the outcome of message m2: it stays leased and is sent again "
        "once its lease runs out"
    ]


async def test_refused_outcomes_first_do_not_block_the_others() -> None:
    """Three refused outcomes ahead of the rest look like a database that is away: all are
    kept, the refused ones last, so the next flush writes the rest and drops them."""
    database = Database()
    database.refused = {"m1", "m2", "m3"}
    outcomes = recorder_on(database)
    await add(outcomes, "m1", "m2", "m3", "m4")
    with pytest.raises(DatabaseBehind):
        await outcomes.flush()
    assert database.written == []
    await outcomes.flush()
    assert database.written == ["m4"]
    assert not outcomes.behind


async def test_flushes_while_the_database_is_away_back_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(recorder.time, "monotonic", lambda: clock[0])
    database = Database()
    outcomes = recorder_on(database)
    await add(outcomes, "m1")
    database.away = True
    tried_at: list[float] = []
    for _ in range(200):  # two seconds of a batch's timer calling flush_due
        clock[0] += 0.01
        tries = database.tries
        with contextlib.suppress(DatabaseBehind):
            await outcomes.flush_due()
        if database.tries != tries:
            tried_at.append(clock[0])
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(tried_at)]
    # FLUSH_SECONDS * 2**failures, to within one 10 ms tick
    assert gaps == pytest.approx([0.1, 0.2, 0.4, 0.8], abs=0.011)
    database.away = False
    clock[0] += 2
    await outcomes.flush_due()
    assert database.written == ["m1"]
