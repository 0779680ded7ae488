"""Outcomes the database does not take at once: a delivered message must not be sent again
because its outcome could not be written. The database refuses outcomes through a trigger the
test installs (SQLite or PostgreSQL), or, on PostgreSQL, is taken away and brought back."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.db.engine import is_sqlite
from gatehouse.mail.dispatcher import Outcome
from gatehouse.mail.models import OutboxMessage
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from tests.support.delivery import DeliverySetup, attempts_of, load, queue
from tests.support.postgres import admin
from tests.support.smtp_servers import GatedData, Pki, RecordingHandler, SmtpServer

RECIPIENTS = [f"u{n}@acme.test" for n in range(4)]


async def refuse_outcomes(runtime: Runtime, *, of: str) -> None:
    """From now on the database refuses to store the outcome of message ``of``."""
    if is_sqlite(runtime.engine):
        statements = [
            "CREATE TRIGGER refuse_outcomes BEFORE UPDATE OF outcome ON delivery_attempts "
            f"WHEN NEW.outcome <> 'pending' AND NEW.message_id = '{of}' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
    else:
        statements = [
            "CREATE FUNCTION refuse_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.outcome <> 'pending' AND NEW.message_id = '{of}' THEN "
            "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_outcomes BEFORE UPDATE ON delivery_attempts "
            "FOR EACH ROW EXECUTE FUNCTION refuse_outcomes()",
        ]
    await _run(runtime.engine, statements)


async def take_outcomes_again(runtime: Runtime) -> None:
    """Drop the trigger, and end the refused message's lease (nothing is left to send)."""
    sqlite = is_sqlite(runtime.engine)
    await _run(
        runtime.engine,
        ["DROP TRIGGER refuse_outcomes"]
        if sqlite
        else ["DROP TRIGGER refuse_outcomes ON delivery_attempts", "DROP FUNCTION refuse_outcomes"],
    )
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.status == "sending").values(status="failed")
        )


async def _run(engine: AsyncEngine, statements: list[str]) -> None:
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


def received(handler: RecordingHandler) -> Counter[str]:
    return Counter(r for m in handler.messages for r in m.rcpt_tos)


async def test_a_refused_outcome_is_dropped_while_other_mail_flows(
    setup: DeliverySetup, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    """An outcome the answering database refuses is kept and retried, alone at first: mail
    queued meanwhile goes out and its outcomes are written; after three refusals the refused
    one is dropped, and draining ends."""
    handler = RecordingHandler()
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        [refused] = await queue(runtime, "refused@acme.test")
        await refuse_outcomes(runtime, of=refused)
        try:
            with caplog.at_level(logging.ERROR, logger="gatehouse.mail.recorder"):
                draining = asyncio.create_task(worker.drain())
                while not handler.messages and not draining.done():
                    await asyncio.sleep(0.01)
                others = await queue(runtime, *RECIPIENTS)  # while the refused one is kept
                assert await asyncio.wait_for(draining, timeout=20) == 1 + len(RECIPIENTS)
            statuses = {m: (await load(runtime, m)).status for m in [refused, *others]}
        finally:
            await take_outcomes_again(runtime)
    assert received(handler) == dict.fromkeys(["refused@acme.test", *RECIPIENTS], 1)
    assert statuses == {refused: "sending"} | dict.fromkeys(others, "sent")
    assert [r.getMessage() for r in caplog.records] == [
        f"the database refused the outcome of message {refused}: it stays leased and is sent "
        "again once its lease runs out"
    ]


async def test_a_message_whose_outcome_is_unwritten_is_not_claimed_again(
    setup: DeliverySetup, pki: Pki
) -> None:
    async with SmtpServer(pki, security="starttls") as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        message_id, other = await queue(runtime, "u0@acme.test", "u1@acme.test")
        worker._recorder.unwritten.add(message_id)  # as if sent, its lease run out meanwhile
        assert [job.message.id for job in await worker.take()] == [other]


@pytest.mark.postgres
async def test_outcomes_kept_while_the_database_is_away_are_written_once_it_is_back(
    outage: Outage, pki: Pki
) -> None:
    setup = outage.setup
    handler = GatedData(gated=1)
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        message_ids = await queue(runtime, *RECIPIENTS)
        draining = asyncio.create_task(worker.drain())
        while handler.arrived == 0:  # the first message is on the server, its reply held
            await asyncio.sleep(0.01)
        await outage.begin()
        handler.gates[0].set()
        while len(handler.messages) < len(RECIPIENTS):
            await asyncio.sleep(0.01)
        await asyncio.sleep(1)  # flushes fail meanwhile
        assert worker._recorder.behind and not draining.done()
        await outage.end()
        assert await asyncio.wait_for(draining, timeout=30) == len(RECIPIENTS)
    assert received(handler) == dict.fromkeys(RECIPIENTS, 1)
    for message_id in message_ids:
        message = await load(runtime, message_id)
        assert (message.status, message.attempts, message.lease_owner) == ("sent", 1, None)
        assert [a.outcome for a in await attempts_of(runtime, message_id)] == ["sent"]


@pytest.mark.postgres
async def test_no_send_starts_once_a_lease_that_could_not_be_renewed_runs_out(
    outage: Outage, pki: Pki
) -> None:
    """With the database away, leases cannot be renewed: once one is about to run out, its
    message is not sent (another worker that reaches the database may claim it by then). It
    is sent, once, by a later claim when the database is back."""
    setup = outage.setup
    handler = GatedData(gated=1)
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(
            f"smtp://127.0.0.1:{server.port}",
            max_connections_per_tenant=1,
            default_max_connections=1,
            worker_lease_seconds=5,  # no send starts in its last 1.25 s
        )
        worker = setup.worker(runtime)
        first, second = await queue(runtime, "u0@acme.test", "u1@acme.test")
        draining = asyncio.create_task(worker.drain())
        while handler.arrived == 0:  # u0 is on the server, its reply held
            await asyncio.sleep(0.01)
        await outage.begin()
        await asyncio.sleep(5)  # renewals fail; the lease runs out
        handler.gates[0].set()
        await asyncio.sleep(1)
        assert received(handler) == {"u0@acme.test": 1}  # u1 was not sent
        await outage.end()
        assert await asyncio.wait_for(draining, timeout=30) == 3  # u1 claimed twice
    assert received(handler) == {"u0@acme.test": 1, "u1@acme.test": 1}
    assert (await load(runtime, first)).attempts == 1
    assert (await load(runtime, second)).attempts == 2  # counted before a send not made
    outcomes = [a.outcome for a in await attempts_of(runtime, second)]
    assert sorted(outcomes) == ["pending", "sent"]  # as a worker that died before it


@dataclasses.dataclass
class Outage:
    """A PostgreSQL database of the test's own, with deliveries set up on it, that the test
    takes away (no connection, those open closed) and brings back."""

    setup: DeliverySetup
    server_url: str
    name: str

    async def begin(self) -> None:
        await admin(
            self.server_url,
            [
                f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608
                f"WHERE datname = '{self.name}'",  # the test's own random name
            ],
        )

    async def end(self) -> None:
        await admin(self.server_url, [f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'])


@pytest.fixture
async def outage(own_postgres: tuple[Settings, str], pki: Pki) -> AsyncIterator[Outage]:
    """The database back and the setup closed afterwards, whatever the test did."""
    settings, server_url = own_postgres
    name = make_url(settings.database_url).database
    assert name is not None
    made = Outage(DeliverySetup(settings, pki), server_url, name)
    try:
        yield made
    finally:
        await made.end()
        await made.setup.close()


async def test_a_reply_that_is_not_utf8_is_stored(setup: DeliverySetup, pki: Pki) -> None:
    """A reply's bytes that are not UTF-8 (kept by aiosmtplib as surrogates) or NUL were
    refused by both databases; they are stored as U+FFFD, or left out."""
    async with SmtpServer(pki, security="starttls") as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        [message_id] = await queue(runtime, "u0@acme.test")
        [job] = await worker.take()
        reply = "250 2.0.0 \udcfcbermittelt\x00"
        await worker._dispatcher.record([Outcome(job, reply, None, 5)], worker.owner)
    [attempt] = await attempts_of(runtime, message_id)
    assert (attempt.outcome, attempt.error) == ("sent", "250 2.0.0 \ufffdbermittelt")


async def test_releasing_leaves_what_another_worker_holds_alone(
    setup: DeliverySetup, pki: Pki
) -> None:
    """A stopping worker gives back what it did not send: not a message whose lease another
    worker holds by now, nor that message's attempt row."""
    async with SmtpServer(pki, security="starttls") as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        mine, taken_over = await queue(runtime, "u0@acme.test", "u1@acme.test")
        jobs = await worker.take()
        async with runtime.sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == taken_over)
                .values(lease_owner="another-worker")
            )
        await worker._dispatcher.release(jobs, worker.owner)
    assert (await load(runtime, mine)).status == "queued"
    assert await attempts_of(runtime, mine) == []
    assert (await load(runtime, taken_over)).lease_owner == "another-worker"
    assert [a.outcome for a in await attempts_of(runtime, taken_over)] == ["pending"]
    async with runtime.sessions.begin() as session:  # nothing left sending for the next test
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == taken_over).values(status="failed")
        )
