"""The retry policy is the operator's (GATEHOUSE_RETRY_FIRST_SECONDS, _MAX_SECONDS,
_GIVE_UP_HOURS): a real STARTTLS server answering 451 to every recipient, the delays it leads
to, and the age past which a transient failure fails the e-mail for good."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from gatehouse.db.base import utcnow
from gatehouse.mail.models import FAILED, QUEUED, OutboxMessage
from gatehouse.runtime import Runtime
from tests.support.delivery import (
    PLATFORM_LOGIN,
    DeliverySetup,
    attempts_of,
    load,
    make_due,
    platform_url,
    queue,
)
from tests.support.smtp_servers import Pki, ScriptedHandler, SmtpServer

BUSY = "451 4.3.0 Mailbox busy, try again later"


def busy_error(recipient: str) -> str:
    """The error stored for ``recipient`` after the 451."""
    return (
        f"rcpt: The server temporarily refused the recipient {recipient}: 451 4.3.0 Mailbox "
        "busy, try again later."
    )


@pytest.fixture
def busy_server(pki: Pki) -> Iterator[SmtpServer]:
    """The platform default server, answering every RCPT with a transient 451."""
    handler = ScriptedHandler(replies={"RCPT": BUSY})
    with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN, handler=handler) as smtp:
        yield smtp


def delay_of(next_attempt_at: datetime, before: datetime) -> float:
    return (next_attempt_at - before).total_seconds()


async def age(runtime: Runtime, message_id: str, hours: float) -> None:
    """Make ``message_id`` as old as ``hours`` (the give-up age counts from its creation)."""
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(created_at=utcnow() - timedelta(hours=hours))
        )


async def test_retry_delays_follow_the_configured_first_and_longest_delay(
    setup: DeliverySetup, busy_server: SmtpServer
) -> None:
    """First 300 s, then 600 s, then capped at 600 s (each jittered by at most a fifth)."""
    runtime = await setup.runtime(
        platform_url(busy_server.port), retry_first_seconds=300, retry_max_seconds=600
    )
    worker = setup.worker(runtime)
    [message_id] = await queue(runtime, "u0@acme.test")
    for expected in (300, 600, 600):
        before = utcnow()
        assert await worker.run_once() == 1
        message = await load(runtime, message_id)
        assert message.status == QUEUED
        assert expected * 0.8 - 1 <= delay_of(message.next_attempt_at, before) <= expected * 1.2 + 5
        await make_due(runtime)
    assert message.attempts == 3
    assert message.last_error == busy_error("u0@acme.test")


async def test_a_transient_failure_after_the_configured_age_fails_the_email(
    setup: DeliverySetup, busy_server: SmtpServer
) -> None:
    """With GATEHOUSE_RETRY_GIVE_UP_HOURS=2: a 1-hour-old e-mail is retried, a 3-hour-old one
    fails at this 451 with its error and the note that no retry follows, its body erased."""
    runtime = await setup.runtime(platform_url(busy_server.port), retry_give_up_hours=2)
    worker = setup.worker(runtime)
    young, old = await queue(runtime, "u0@acme.test", "u1@acme.test")
    await age(runtime, young, 1)
    await age(runtime, old, 3)
    assert await worker.run_once(only=young) == 1
    assert await worker.run_once(only=old) == 1
    assert (await load(runtime, young)).status == QUEUED
    failed = await load(runtime, old)
    assert (failed.status, failed.attempts, failed.context) == (FAILED, 1, None)
    assert failed.last_error == f"{busy_error('u1@acme.test')} Given up after 2 hours of retries."
    [attempt] = await attempts_of(runtime, old)
    assert (attempt.outcome, attempt.reply_code) == ("failed", 451)


async def test_by_default_an_email_is_retried_for_24_hours(
    setup: DeliverySetup, busy_server: SmtpServer
) -> None:
    """Defaults: the first retry about 30 s later; 23 hours old, retried; 25 hours, failed."""
    runtime = await setup.runtime(platform_url(busy_server.port))
    worker = setup.worker(runtime)
    fresh, young, old = await queue(runtime, "u0@acme.test", "u1@acme.test", "u2@acme.test")
    await age(runtime, young, 23)
    await age(runtime, old, 25)
    before = utcnow()
    assert await worker.run_once(only=fresh) == 1
    assert 30 * 0.8 - 1 <= delay_of((await load(runtime, fresh)).next_attempt_at, before) <= 41
    assert await worker.run_once(only=young) == 1
    assert await worker.run_once(only=old) == 1
    statuses = [(await load(runtime, m)).status for m in (fresh, young, old)]
    assert statuses == [QUEUED, QUEUED, FAILED]
    given_up = f"{busy_error('u2@acme.test')} Given up after 24 hours of retries."
    assert (await load(runtime, old)).last_error == given_up
