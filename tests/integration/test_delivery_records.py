"""Outcomes the database does not take at first: a delivered message must not be sent again
because its outcome could not be written. The database refuses the writes through a trigger
the test installs (on SQLite or PostgreSQL), then takes them again once it is dropped."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gatehouse.db.engine import is_sqlite
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from tests.support.delivery import DeliverySetup, attempts_of, expire_leases, load, queue
from tests.support.smtp_servers import Pki, RecordingHandler, SmtpServer

RECIPIENTS = [f"u{n}@acme.test" for n in range(4)]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
async def setup(clean_db: Settings, pki: Pki) -> AsyncIterator[DeliverySetup]:
    built = DeliverySetup(clean_db, pki)
    yield built
    await built.close()


async def refuse_outcomes(runtime: Runtime, *, of: str | None = None) -> None:
    """From now on the database refuses to store an attempt's outcome (only message ``of``'s
    if given)."""
    only = f" AND NEW.message_id = '{of}'" if of else ""
    if is_sqlite(runtime.engine):
        statements = [
            "CREATE TRIGGER refuse_outcomes BEFORE UPDATE OF outcome ON delivery_attempts "
            f"WHEN NEW.outcome <> 'pending'{only} "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
    else:
        statements = [
            "CREATE FUNCTION refuse_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.outcome <> 'pending'{only} THEN RAISE EXCEPTION 'refused by the test'; "
            "END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_outcomes BEFORE UPDATE ON delivery_attempts "
            "FOR EACH ROW EXECUTE FUNCTION refuse_outcomes()",
        ]
    async with runtime.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def take_outcomes_again(runtime: Runtime) -> None:
    statements = (
        ["DROP TRIGGER refuse_outcomes"]
        if is_sqlite(runtime.engine)
        else ["DROP TRIGGER refuse_outcomes ON delivery_attempts", "DROP FUNCTION refuse_outcomes"]
    )
    async with runtime.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


def received(handler: RecordingHandler) -> Counter[str]:
    return Counter(r for m in handler.messages for r in m.rcpt_tos)


async def test_outcomes_are_written_once_the_database_takes_them_again(
    setup: DeliverySetup, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    """While the database takes no outcomes, the worker keeps them and claims nothing (their
    leases may run out meanwhile); once it takes them, they are written: each message sent
    once, and marked sent."""
    handler = RecordingHandler()
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        message_ids = await queue(runtime, *RECIPIENTS)
        await refuse_outcomes(runtime)
        try:
            with caplog.at_level(logging.ERROR, logger="gatehouse.mail.worker"):
                draining = asyncio.create_task(worker.drain())
                for _ in range(1000):  # until the pump has failed to write them twice
                    failed = [r for r in caplog.records if "the database failed" in r.message]
                    if len(failed) >= 2:
                        break
                    await asyncio.sleep(0.01)
                assert received(handler) == dict.fromkeys(RECIPIENTS, 1)
                assert not draining.done()  # their outcomes are still to be written
                await expire_leases(runtime)  # as if the database were away for minutes
                [late] = await queue(runtime, "late@acme.test")
                await asyncio.sleep(0.5)
                assert received(handler) == dict.fromkeys(RECIPIENTS, 1)  # nothing claimed
        finally:
            await take_outcomes_again(runtime)
        assert await asyncio.wait_for(draining, timeout=30) == len(RECIPIENTS) + 1
    assert received(handler) == dict.fromkeys([*RECIPIENTS, "late@acme.test"], 1)
    for message_id in [*message_ids, late]:
        message = await load(runtime, message_id)
        assert (message.status, message.attempts, message.lease_owner) == ("sent", 1, None)
        assert [a.outcome for a in await attempts_of(runtime, message_id)] == ["sent"]


async def test_an_outcome_the_database_refuses_leaves_the_others_written(
    setup: DeliverySetup, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    handler = RecordingHandler()
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        message_ids = await queue(runtime, *RECIPIENTS)
        refused = message_ids[1]
        await refuse_outcomes(runtime, of=refused)
        try:
            with caplog.at_level(logging.ERROR, logger="gatehouse.mail.recorder"):
                assert await worker.drain() == len(RECIPIENTS)
        finally:
            await take_outcomes_again(runtime)
    assert received(handler) == dict.fromkeys(RECIPIENTS, 1)
    statuses = {m: (await load(runtime, m)).status for m in message_ids}
    assert statuses == {m: "sending" if m == refused else "sent" for m in message_ids}
    assert [r.getMessage() for r in caplog.records] == [
        f"the database refused the outcome of message {refused}: it stays leased and is sent "
        "again once its lease runs out"
    ]
