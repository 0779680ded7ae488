"""Real ``python -m gatehouse worker`` processes sharing the queue: exactly-once delivery by two
workers on PostgreSQL, no loss when a worker is killed with SIGKILL mid-batch, and a graceful
exit on SIGTERM. The SMTP server (STARTTLS + AUTH) runs in the test process and counts what
arrives.

Delivery is at least once: a worker killed after the server accepted a message but before it
recorded ``sent`` leaves the message leased; once the lease expires another worker sends it
again. ``test_sigkill_mid_batch_loses_nothing`` pins that this crash window is the only source
of duplicates: a message appears twice only if the server had accepted it when the worker died
and the worker had not yet recorded it as sent."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from gatehouse.db.base import new_id, utcnow
from gatehouse.mail.models import DeliveryAttempt, OutboxMessage
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from tests.bench.common import SINK_LOGIN, add_custom_configs
from tests.bench.sink import Sink
from tests.support.smtp_servers import Pki, RecordingHandler, SmtpServer, free_port

LOGIN = ("platform", "pl@tform")
CONTEXT = {"user": {"sp_name": "Acme", "ids_home_link": "http://acme.localhost/"}}
START_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("worker-processes-pki"))


class WorkerProcess:
    """One ``python -m gatehouse worker``; its log goes to a file (a pipe could fill up)."""

    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = ()) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gatehouse", "worker", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=log.parent,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def sent(self) -> int:
        """Messages this worker recorded as sent (its log has one line per outcome)."""
        return self.text().count("outcome=sent")

    async def wait_started(self) -> None:
        await wait_until(lambda: _true("delivery worker" in self.text()), "worker start")

    async def wait_exit(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"worker did not exit within {timeout}s:\n{self.text()}")
            await asyncio.sleep(0.05)
        return self.process.returncode


async def _true(value: bool) -> bool:
    return value


async def wait_until(
    condition: Callable[[], Awaitable[bool]], what: str, *, timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.fixture
def spawn(clean_db: Settings, pki: Pki, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Starts worker processes on the test database; kills the ones still running at the end."""
    started: list[WorkerProcess] = []

    def start(server: SmtpServer, args: tuple[str, ...] = (), **settings: str) -> WorkerProcess:
        user, password = LOGIN
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        env.update(
            GATEHOUSE_DATABASE_URL=clean_db.resolved_database_url(),
            GATEHOUSE_DATA_DIR=str(tmp_path / "data"),
            GATEHOUSE_SECRET_KEYS=clean_db.secret_keys,
            GATEHOUSE_DEFAULT_SMTP_URL=(
                f"smtp://{user}:{password.replace('@', '%40')}@127.0.0.1:{server.port}"
            ),
            GATEHOUSE_DEFAULT_SENDER="Platform <no-reply@platform.test>",
            GATEHOUSE_SMTP_CA_FILE=str(pki.ca_file),
            GATEHOUSE_WORKER_POLL_SECONDS="0.2",
        )
        env.update({f"GATEHOUSE_{name.upper()}": value for name, value in settings.items()})
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log", args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=10)


async def queue_many(acme_runtime: Runtime, count: int) -> list[str]:
    """``count`` messages to u0000@acme.test ... in one transaction, one INSERT."""
    recipients = [f"u{n:04d}@acme.test" for n in range(count)]
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "tenant_id": "acme",
            "process": "test-email",
            "language": "en",
            "recipient": recipient,
            "context": CONTEXT,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for recipient in recipients
    ]
    async with acme_runtime.sessions.begin() as session:
        await session.execute(insert(OutboxMessage), rows)
    return recipients


async def status_counts(acme_runtime: Runtime) -> dict[str, int]:
    async with acme_runtime.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: count for status, count in rows.all()}


async def all_sent(acme_runtime: Runtime, count: int) -> bool:
    return (await status_counts(acme_runtime)).get("sent", 0) == count


async def some_sent(acme_runtime: Runtime) -> bool:
    return (await status_counts(acme_runtime)).get("sent", 0) > 0


def received(handler: RecordingHandler) -> Counter[str]:
    return Counter(r for message in list(handler.messages) for r in message.rcpt_tos)


@pytest.mark.postgres
async def test_two_worker_processes_deliver_each_message_exactly_once(
    acme_runtime: Runtime, pki: Pki, spawn: Callable[..., WorkerProcess]
) -> None:
    """2 worker processes drain 2,000 messages: every one arrives once, none twice, both work."""
    async with SmtpServer(pki, security="starttls", credentials=LOGIN) as server:
        recipients = await queue_many(acme_runtime, 2000)
        workers = [spawn(server), spawn(server)]
        await wait_until(lambda: all_sent(acme_runtime, 2000), "2,000 sent", timeout=120)
        for worker in workers:
            worker.process.send_signal(signal.SIGTERM)
        codes = [await worker.wait_exit() for worker in workers]
    counts = received(server.handler)
    assert set(counts) == set(recipients)
    assert [r for r, n in counts.items() if n > 1] == []
    assert codes == [0, 0]
    shares = [worker.sent() for worker in workers]
    assert sum(shares) == 2000 and min(shares) > 0, shares
    async with acme_runtime.sessions() as session:
        attempts = await session.execute(
            select(DeliveryAttempt.outcome, func.count()).group_by(DeliveryAttempt.outcome)
        )
        assert dict(attempts.all()) == {"sent": 2000}
        assert await session.scalar(select(func.max(OutboxMessage.attempts))) == 1


@pytest.mark.postgres
async def test_a_tenants_connection_cap_holds_across_worker_processes(
    acme_runtime: Runtime, pki: Pki, spawn: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    """Two worker processes, one tenant with its own server and the default cap of 2: never
    more than 2 connections to that server at once (one worker serves the tenant at a time),
    and every message arrives once."""
    with Sink(tmp_path / "sink", SINK_LOGIN) as sink:
        await add_custom_configs(acme_runtime, ["acme"], sink.port)
        await queue_many(acme_runtime, 600)
        async with SmtpServer(pki, security="starttls", credentials=LOGIN) as platform:
            trust_the_sink = {"smtp_ca_file": str(sink.ca_file), "allow_private_mail_hosts": "1"}
            workers = [spawn(platform, **trust_the_sink) for _ in range(2)]
            await wait_until(lambda: all_sent(acme_runtime, 600), "600 sent", timeout=120)
            for worker in workers:
                worker.process.send_signal(signal.SIGTERM)
            assert [await worker.wait_exit() for worker in workers] == [0, 0]
        assert platform.handler.messages == []
        assert sink.accepted() == 600
        assert 1 <= sink.counters.open_peak.value <= 2


class CrashWindowHandler(RecordingHandler):
    """Accepts the first ``accept`` messages; after that, while ``stalling`` is set, it takes
    the message (records it: the server has it) but never answers, so the worker waits with
    the message delivered and not yet recorded as sent: the crash window."""

    def __init__(self, accept: int) -> None:
        super().__init__()
        self.accept = accept
        self.stalling = True
        self.stalled: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.messages) > self.accept and self.stalling:
            self.stalled.extend(envelope.rcpt_tos)
            while self.stalling:  # cancelled by aiosmtpd when the client's connection dies
                await asyncio.sleep(0.05)
        return reply


async def test_sigkill_mid_batch_loses_nothing(
    acme_runtime: Runtime, pki: Pki, spawn: Callable[..., WorkerProcess]
) -> None:
    """A worker killed with SIGKILL in the middle of a batch: every message is delivered after
    its lease expires; only messages the server had taken but the worker had not yet recorded
    as sent (the crash window) arrive twice."""
    handler = CrashWindowHandler(accept=5)
    async with SmtpServer(pki, security="starttls", credentials=LOGIN, handler=handler) as server:
        recipients = await queue_many(acme_runtime, 30)
        doomed = spawn(server, worker_lease_seconds="5", smtp_timeout="60")
        await wait_until(lambda: _true(bool(handler.stalled)), "a send stalled in DATA")
        # Outcomes are written a group at a time (at least every 50 ms): kill once the sends
        # before the stall are recorded, so the kill lands mid-batch.
        await wait_until(lambda: some_sent(acme_runtime), "the first outcomes recorded")
        doomed.process.send_signal(signal.SIGKILL)
        assert await doomed.wait_exit() == -signal.SIGKILL
        async with acme_runtime.sessions() as session:
            at_kill = {m.recipient: m for m in await session.scalars(select(OutboxMessage))}
        leased = {r: m.lease_until for r, m in at_kill.items() if m.status == "sending"}
        assert any(m.status == "sent" for m in at_kill.values())  # killed mid-batch:
        assert set(handler.stalled) <= set(leased)  # some sent, the stalled ones still leased
        handler.stalling = False

        successor = spawn(server, worker_lease_seconds="5")
        await wait_until(lambda: all_sent(acme_runtime, 30), "every message sent after the kill")
        successor.process.send_signal(signal.SIGTERM)
        assert await successor.wait_exit() == 0
    counts = received(handler)
    assert set(counts) == set(recipients)
    twice = {r: n for r, n in counts.items() if n > 1}
    assert set(handler.stalled) <= set(twice) <= set(leased)  # only the crash window
    assert set(twice.values()) == {2}
    async with acme_runtime.sessions() as session:
        messages = {m.recipient: m for m in await session.scalars(select(OutboxMessage))}
        attempts = Counter(
            (m.recipient, a.outcome)
            for a, m in (
                await session.execute(
                    select(DeliveryAttempt, OutboxMessage).join(
                        OutboxMessage, OutboxMessage.id == DeliveryAttempt.message_id
                    )
                )
            ).all()
        )
    for recipient, lease_until in leased.items():  # nobody took them before the lease ended
        sent_at = messages[recipient].sent_at
        assert isinstance(lease_until, datetime) and sent_at is not None
        assert sent_at >= lease_until
    for recipient in twice:  # the dead worker's attempt was counted before its send
        assert messages[recipient].attempts == 2
        assert attempts[(recipient, "pending")] == 1 and attempts[(recipient, "sent")] == 1


class SlowDataHandler(RecordingHandler):
    """Takes ``delay`` seconds to answer each DATA; ``started`` counts DATA commands begun."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.started: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.started.extend(envelope.rcpt_tos)
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


async def test_sigterm_finishes_in_flight_sends_then_exits_zero(
    acme_runtime: Runtime, pki: Pki, spawn: Callable[..., WorkerProcess]
) -> None:
    """SIGTERM during a send: the send completes and is recorded, nothing stays leased, and the
    worker exits with status 0."""
    handler = SlowDataHandler(delay=0.5)
    async with SmtpServer(pki, security="starttls", credentials=LOGIN, handler=handler) as server:
        await queue_many(acme_runtime, 6)
        worker = spawn(server)
        await wait_until(lambda: _true(bool(handler.started)), "a send in progress")
        in_flight = handler.started[0]
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait_exit() == 0
    assert "stopped" in worker.text()
    async with acme_runtime.sessions() as session:
        messages = {m.recipient: m for m in await session.scalars(select(OutboxMessage))}
    assert messages[in_flight].status == "sent"
    assert {m.status for m in messages.values()} <= {"sent", "queued"}  # none left leased
    sent = sorted(r for r, m in messages.items() if m.status == "sent")
    assert sorted(received(handler).elements()) == sent  # recorded exactly as delivered


def scrape(port: int) -> list[str]:
    """The lines of a worker's /metrics, no comments."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text: str = answer.read().decode()
    return [line for line in text.splitlines() if not line.startswith("#")]


async def test_a_worker_serves_its_delivery_metrics_on_its_own_port(
    acme_runtime: Runtime, pki: Pki, spawn: Callable[..., WorkerProcess]
) -> None:
    """Behind web processes with GATEHOUSE_RUN_WORKER=0 (README: Deployment) the workers send
    every e-mail, so only they can count sent, failed, retried and the latency: before, their
    figures were nowhere, and every web process's /metrics said 0 sent for ever. The queue's
    depth stays with /metrics of the web (a worker would always say 0)."""
    port = free_port()
    async with SmtpServer(pki, security="starttls", credentials=LOGIN) as server:
        await queue_many(acme_runtime, 3)
        worker = spawn(server, args=("--metrics-port", str(port)))

        async def counted() -> bool:
            try:
                return "gatehouse_mail_sent_total 3.0" in await asyncio.to_thread(scrape, port)
            except OSError:  # not listening yet
                return False

        await wait_until(counted, "3 sent in the worker's metrics")
        lines = await asyncio.to_thread(scrape, port)
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait_exit() == 0
    assert "gatehouse_mail_delivery_seconds_count 3.0" in lines
    assert "gatehouse_mail_failed_total 0.0" in lines
    assert not [line for line in lines if line.startswith("gatehouse_mail_queued")]


async def test_a_metrics_port_in_use_is_named(
    acme_runtime: Runtime, pki: Pki, spawn: Callable[..., WorkerProcess]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with SmtpServer(pki, security="starttls", credentials=LOGIN) as server:
            worker = spawn(server, args=("--metrics-port", str(port)))
            assert await worker.wait_exit() == 1
    assert " ".join(worker.text().split()) == (
        f"Error: --metrics-port: cannot listen on 127.0.0.1:{port}: Address already in use."
    )


async def test_a_metrics_host_that_cannot_be_listened_on_is_named(
    acme_runtime: Runtime, pki: Pki, spawn: Callable[..., WorkerProcess]
) -> None:
    """The host is what is wrong, not the port: the error names --metrics-host."""
    port = free_port()
    async with SmtpServer(pki, security="starttls", credentials=LOGIN) as server:
        worker = spawn(server, args=("--metrics-port", str(port), "--metrics-host", "192.0.2.1"))
        assert await worker.wait_exit() == 1
    assert " ".join(worker.text().split()) == (
        f"Error: --metrics-host: cannot listen on 192.0.2.1:{port}: "
        "Cannot assign requested address."
    )
