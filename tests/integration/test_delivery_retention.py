"""The delivery log keeps an e-mail GATEHOUSE_DELIVERY_LOG_DAYS after its last try: sent and
failed ones older than that are deleted with their attempts (mail/retention.py), by every
worker at start and every hour; queued ones never."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from gatehouse.accounts.models import WebSession
from gatehouse.db.base import utcnow
from gatehouse.db.engine import is_sqlite
from gatehouse.mail import retention
from gatehouse.mail.models import DeliveryAttempt, OutboxMessage
from gatehouse.mail.retention import purge_delivery_log
from gatehouse.runtime import Runtime
from tests.support.delivery import PLATFORM_LOGIN, DeliverySetup, platform_url, queue
from tests.support.smtp_servers import Pki, SmtpServer


async def age(
    runtime: Runtime, message_ids: list[str], days: float, *, queued_days: float | None = None
) -> None:
    """Make ``message_ids`` look last tried ``days`` ago (and queued then, or ``queued_days``
    ago)."""
    now = utcnow()
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(
                next_attempt_at=now - timedelta(days=days),
                created_at=now - timedelta(days=days if queued_days is None else queued_days),
            )
        )


async def fail(runtime: Runtime, message_id: str) -> None:
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(status="failed")
        )


async def kept(runtime: Runtime) -> tuple[set[str], int]:
    """The IDs of the messages left, and how many attempts."""
    async with runtime.sessions() as session:
        ids = set((await session.scalars(select(OutboxMessage.id))).all())
        attempts = await session.scalar(select(func.count()).select_from(DeliveryAttempt))
    return ids, int(attempts or 0)


async def sessions_left(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WebSession)) or 0)


async def test_old_sent_and_failed_emails_are_deleted_with_their_attempts(
    setup: DeliverySetup, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent and failed e-mails last tried more than 30 days ago go, a batch at a time (two
    here); one tried 29.9 days ago stays, even if queued 40 days ago (it failed after days of
    retries), and so does a queued one however old."""
    monkeypatch.setattr(retention, "BATCH", 2)
    async with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as server:
        runtime = await setup.runtime(platform_url(server.port))
        *old, recent = await queue(runtime, *(f"u{n}@acme.test" for n in range(4)))
        assert await setup.worker(runtime).run_once() == 4
    await fail(runtime, old[0])
    [waiting] = await queue(runtime, "later@acme.test")
    await age(runtime, [*old, waiting], days=30.1)
    await age(runtime, [recent], days=29.9, queued_days=40)
    assert await kept(runtime) == ({*old, recent, waiting}, 4)
    purged = await purge_delivery_log(
        runtime.sessions, days=30, locking=not is_sqlite(runtime.engine)
    )
    assert purged == 3
    assert await kept(runtime) == ({recent, waiting}, 1)


async def test_a_running_worker_purges_at_start(
    setup: DeliverySetup, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    """Wired in: a worker started purges the log with the operator's number of days, and the
    rows whose use is over (housekeeping.py; a session expired two days ago here)."""
    async with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as server:
        runtime = await setup.runtime(platform_url(server.port), delivery_log_days=7)
        old, recent = await queue(runtime, "old@acme.test", "recent@acme.test")
        assert await setup.worker(runtime).run_once() == 2
    await age(runtime, [old], days=8)
    await age(runtime, [recent], days=6)
    async with runtime.sessions.begin() as session:
        session.add(
            WebSession(
                token_hash="expired",
                tenant_id="acme",
                user_id="u1",
                kind="user",
                expires_at=utcnow() - timedelta(days=2),
            )
        )
    worker = setup.worker(runtime)
    with caplog.at_level(logging.INFO, logger="gatehouse.mail.worker"):
        running = asyncio.create_task(worker.run())
        try:
            async with asyncio.timeout(15):
                while (await kept(runtime))[0] != {recent} or await sessions_left(runtime):
                    await asyncio.sleep(0.05)
        finally:
            worker.stop()
            await running
    assert (
        f"delivery worker {worker.owner}: the e-mails last tried more than 7 days ago deleted "
        "from the delivery log: 1"
    ) in caplog.messages
