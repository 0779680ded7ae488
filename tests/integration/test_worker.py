"""The delivery worker against real TLS SMTP servers: claims, leases, retries, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtplib.protocol import SMTPProtocol
from sqlalchemy import Text, cast, event, select, update

from gatehouse.accounts.models import User
from gatehouse.accounts.users import create_user
from gatehouse.applications.service import USER_PROFILE_ID, update_application
from gatehouse.db.base import utcnow
from gatehouse.mail import dispatcher
from gatehouse.mail.dispatcher import Job
from gatehouse.mail.models import DeliveryAttempt, OutboxMessage
from gatehouse.mail.outbox import USER_DEACTIVATED, enqueue
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.models import EmailTemplate
from gatehouse.mail.templates.sets import create_set
from gatehouse.mail.test_email import deliver_now, queue_test_email
from gatehouse.mail.worker import FIRST_BATCH, LINGER_SECONDS, Worker
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from tests.bench.common import SINK_LOGIN, add_custom_configs
from tests.bench.sink import Sink
from tests.support.delivery import onboard
from tests.support.smtp_servers import GatedData, Pki, ScriptedHandler, SmtpServer


@pytest.fixture
def server(pki: Pki) -> Iterator[SmtpServer]:
    """The platform default server: STARTTLS required, login required."""
    with SmtpServer(pki, security="starttls", credentials=("platform", "pl@tform")) as smtp:
        yield smtp


@pytest.fixture
async def runtime(clean_db: Settings, server: SmtpServer, pki: Pki) -> AsyncIterator[Runtime]:
    settings = clean_db.model_copy(
        update={
            "default_smtp_url": f"smtp://platform:pl%40tform@127.0.0.1:{server.port}",
            "default_sender": "Platform <no-reply@platform.test>",
            "dev": False,
        }
    )
    runtime = build_runtime(settings, extra_ca_files=(pki.ca_file,))
    await onboard(runtime, "acme")
    yield runtime
    await runtime.close()


async def queue(runtime: Runtime, count: int, tenant_id: str = "acme") -> list[str]:
    async with runtime.sessions.begin() as session:
        ids = []
        for n in range(count):
            message = await enqueue(
                session,
                tenant_id=tenant_id,
                process="test-email",
                recipient=f"u{n}@acme.test",
                context={"user": {"sp_name": "Acme", "ids_home_link": "http://acme/"}},
            )
            ids.append(message.id)
    return ids


async def statuses(runtime: Runtime) -> dict[str, int]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage.status))).all()
    return {status: rows.count(status) for status in set(rows)}


async def test_delivers_multipart_from_default_sender(runtime: Runtime, server: SmtpServer) -> None:
    """A queued message leaves over STARTTLS with login, as text + HTML, from the sender."""
    [message_id] = await queue(runtime, 1)
    assert await Worker(runtime).run_once() == 1
    [received] = server.handler.messages
    assert received.mail_from == "no-reply@platform.test"
    assert received.message["From"] == "Platform <no-reply@platform.test>"
    assert received.message.get_content_type() == "multipart/alternative"
    async with runtime.sessions() as session:
        message = await session.get(OutboxMessage, message_id)
        attempts = (await session.scalars(select(DeliveryAttempt))).all()
        stored = await session.scalar(
            select(cast(OutboxMessage.context, Text)).where(OutboxMessage.id == message_id)
        )
    assert message is not None and message.status == "sent" and message.context is None
    assert [a.outcome for a in attempts] == ["sent"]
    assert stored == "null"  # the body with its link erased


async def test_two_workers_never_send_twice(runtime: Runtime, server: SmtpServer) -> None:
    """Two workers claiming the same queue at once deliver each message exactly once."""
    await queue(runtime, 60)
    first, second = Worker(runtime), Worker(runtime)

    async def drain(worker: Worker) -> None:
        while await worker.run_once():
            pass
        await worker.close()

    await asyncio.gather(drain(first), drain(second))
    recipients = [r for m in server.handler.messages for r in m.rcpt_tos]
    assert sorted(recipients) == sorted(f"u{n}@acme.test" for n in range(60))
    assert await statuses(runtime) == {"sent": 60}


async def test_expired_lease_is_delivered_by_another_worker(
    runtime: Runtime, server: SmtpServer
) -> None:
    """A message claimed by a worker that died is delivered once its lease has expired."""
    [message_id] = await queue(runtime, 1)
    dead = Worker(runtime)
    assert [job.message.id for job in await dead.take()] == [message_id]  # then it dies
    assert await Worker(runtime).run_once() == 0  # still leased
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert await Worker(runtime).run_once() == 1
    assert len(server.handler.messages) == 1


async def test_a_message_whose_user_was_deactivated_meanwhile_is_withdrawn_not_sent(
    runtime: Runtime, server: SmtpServer
) -> None:
    """A message a worker held when its user was deactivated (here: the worker died with it)
    is withdrawn when it is claimed again, not sent, and its attempt is not counted; another
    of the same batch goes out."""
    async with runtime.sessions.begin() as session:
        jane = await create_user(session, tenant_id="acme", email="jane@acme.test")
        held = await enqueue(
            session,
            tenant_id="acme",
            process="test-email",
            recipient="jane@acme.test",
            context={"user": {"sp_name": "Acme", "ids_home_link": "http://acme/"}},
            user_id=jane.id,
        )
    [other] = await queue(runtime, 1)
    dead = Worker(runtime)
    assert len(await dead.take()) == 2  # then it dies
    async with runtime.sessions.begin() as session:  # deactivated while the worker held it
        await session.execute(update(User).where(User.id == jane.id).values(status="inactive"))
        await session.execute(
            update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert await Worker(runtime).run_once() == 1
    async with runtime.sessions() as session:
        withdrawn = await session.get(OutboxMessage, held.id)
        sent = await session.get(OutboxMessage, other)
    assert withdrawn is not None and sent is not None
    assert (withdrawn.status, withdrawn.attempts, withdrawn.last_error, withdrawn.context) == (
        "failed",
        1,  # the dead worker's try, which may have reached the server; not the withdrawal
        USER_DEACTIVATED,
        None,
    )
    assert sent.status == "sent"
    assert [m.rcpt_tos for m in server.handler.messages] == [("u0@acme.test",)]


async def test_transient_reply_is_retried_later(
    runtime: Runtime, pki: Pki, clean_db: Settings
) -> None:
    """A 451 on RCPT puts the message back in the queue with a delay, attempt recorded."""
    handler = ScriptedHandler(replies={"RCPT": ["451 4.3.0 Try again later"]})
    with SmtpServer(pki, security="starttls", handler=handler) as flaky:
        runtime.settings = runtime.settings.model_copy(
            update={"default_smtp_url": f"smtp://127.0.0.1:{flaky.port}"}
        )
        [message_id] = await queue(runtime, 1)
        await Worker(runtime).run_once()
        async with runtime.sessions() as session:
            message = await session.get(OutboxMessage, message_id)
            [attempt] = (await session.scalars(select(DeliveryAttempt))).all()
        assert message is not None and message.status == "queued" and message.attempts == 1
        assert message.next_attempt_at > utcnow() + timedelta(seconds=20)
        assert attempt.outcome == "retry" and attempt.reply_code == 451
        assert message.context is not None  # kept for the retry


async def test_permanent_reply_fails_at_once(runtime: Runtime, pki: Pki) -> None:
    """A 550 on RCPT fails the message without retry and erases its body."""
    handler = ScriptedHandler(replies={"RCPT": "550 5.1.1 No such user"})
    with SmtpServer(pki, security="starttls", handler=handler) as strict:
        runtime.settings = runtime.settings.model_copy(
            update={"default_smtp_url": f"smtp://127.0.0.1:{strict.port}"}
        )
        [message_id] = await queue(runtime, 1)
        await Worker(runtime).run_once()
    async with runtime.sessions() as session:
        message = await session.get(OutboxMessage, message_id)
        stored = await session.scalar(
            select(cast(OutboxMessage.context, Text)).where(OutboxMessage.id == message_id)
        )
    assert message is not None and message.status == "failed" and message.context is None
    assert message.last_error is not None and "550" in message.last_error
    assert stored == "null"  # erased as a sent message's body is


async def test_a_tenants_backlog_never_fills_every_batch_in_hand(runtime: Runtime) -> None:
    """Batches of 10: a tenant with 50 older messages fills two batches in hand, then the third
    takes the newer messages of another tenant, before any of the first two is sent."""
    await onboard(runtime, "beta")
    runtime.settings = runtime.settings.model_copy(update={"worker_batch_size": 10})
    await queue(runtime, 50)
    await queue(runtime, 3, tenant_id="beta")
    worker = Worker(runtime)
    taken = [[job.message.tenant_id for job in await worker.take()] for _ in range(4)]
    assert taken == [["acme"] * 10, ["acme"] * 10, ["beta"] * 3, []]


async def test_with_nothing_in_hand_the_first_batch_is_small(
    runtime: Runtime, server: SmtpServer
) -> None:
    """An idle worker's first claim takes FIRST_BATCH messages, so the first e-mail leaves after
    a short claim; the rest come in full batches while it is sent. All arrive once."""
    await queue(runtime, FIRST_BATCH + 30)
    sizes: list[int] = []

    class Counting(Worker):
        async def take(self, *, only: str | None = None, limit: int | None = None) -> list[Job]:
            jobs = await super().take(only=only, limit=limit)
            sizes.append(len(jobs))
            return jobs

    assert await Counting(runtime).drain() == FIRST_BATCH + 30
    assert sizes[:2] == [FIRST_BATCH, 30] and not any(sizes[2:])
    recipients = sorted(r for m in server.handler.messages for r in m.rcpt_tos)
    assert recipients == sorted(f"u{n}@acme.test" for n in range(FIRST_BATCH + 30))


async def test_a_message_waiting_for_the_connection_goes_out_before_the_next_is_built(
    runtime: Runtime, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two batches in hand share the tenant's one connection. When a message is accepted, the
    other batch's message, built and waiting, is written first (its MAIL FROM) and only then
    does the first batch build its next one: every message is written right after it is
    built, once the connection is open. (Without the hand-over the first batch built its next
    message before the waiting one could go out, and the connection idled meanwhile.)"""
    settings = runtime.settings.model_copy(update={"max_connections_per_tenant": 1})
    one_connection = build_runtime(settings, extra_ca_files=(server.pki.ca_file,))
    await queue(one_connection, FIRST_BATCH + 30)  # two batches: 50 and 30
    events: list[str] = []
    render, write = dispatcher.render, SMTPProtocol.write

    def logged_render(*args: Any) -> TemplateText:
        events.append("built")
        return render(*args)

    def logged_write(protocol: SMTPProtocol, data: bytes) -> None:
        if data.startswith(b"MAIL FROM:"):
            events.append("written")
        write(protocol, data)

    monkeypatch.setattr(dispatcher, "render", logged_render)
    monkeypatch.setattr(SMTPProtocol, "write", logged_write)
    try:
        assert await Worker(one_connection).drain() == FIRST_BATCH + 30
    finally:
        await one_connection.close()
    assert len(server.handler.messages) == FIRST_BATCH + 30
    # The second batch may build its first message while the first batch still opens the
    # connection (a claim can take less time than a TLS handshake); from then on, every
    # message is written right after it is built.
    steady = ["built", "written"] * (FIRST_BATCH + 30)
    racy_start = ["built", "built", "written", "written", *steady[4:]]
    assert events in (steady, racy_start)


async def test_a_worker_never_claims_again_what_it_still_holds(
    runtime: Runtime, server: SmtpServer
) -> None:
    """A batch whose leases ran out while it waited is not claimed a second time by its own
    worker (it would send those messages twice); another worker may take it over."""
    [message_id] = await queue(runtime, 1)
    worker = Worker(runtime)
    assert [job.message.id for job in await worker.take()] == [message_id]
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert await worker.take() == []
    assert [job.message.id for job in await Worker(runtime).take()] == [message_id]


async def test_on_stop_unsent_messages_go_back_to_the_queue_uncounted(
    runtime: Runtime, server: SmtpServer
) -> None:
    """Stopping while a batch is in hand: nothing more is sent, and its messages are queued
    again at once, with no attempt counted or recorded for them."""
    await queue(runtime, 5)
    worker = Worker(runtime)
    worker.stop()
    assert await worker.run_once() == 5
    assert server.handler.messages == []
    assert await statuses(runtime) == {"queued": 5}
    async with runtime.sessions() as session:
        messages = (await session.scalars(select(OutboxMessage))).all()
        assert [m.attempts for m in messages] == [0] * 5
        assert [m.lease_owner for m in messages] == [None] * 5
        assert (await session.scalars(select(DeliveryAttempt))).all() == []


async def test_on_stop_a_lane_waiting_for_its_connection_sends_nothing(
    clean_db: Settings, pki: Pki
) -> None:
    """SIGTERM while one lane sends and another waits for the same connection: the send in
    flight finishes, the waiting lane begins none (its wait and its own send would both come
    before the worker exits, past the stop budget), and its messages go back uncounted."""
    handler = GatedData(gated=1)  # the first DATA is held until the gate opens
    with SmtpServer(pki, security="starttls", credentials=SINK_LOGIN, handler=handler) as smtp:
        user, password = SINK_LOGIN
        settings = clean_db.model_copy(
            update={
                "default_smtp_url": f"smtp://{user}:{password}@127.0.0.1:{smtp.port}",
                "dev": False,
                "max_connections_per_tenant": 2,  # two lanes ...
                "default_max_connections": 1,  # ... over one connection
                "smtp_timeout": 60,  # the held DATA must not time out
            }
        )
        runtime = build_runtime(settings, extra_ca_files=(pki.ca_file,))
        worker = Worker(runtime)
        try:
            await onboard(runtime, "acme")
            await queue(runtime, 4)
            sending = asyncio.create_task(worker.run_once())
            await wait_until(lambda: handler.arrived == 1, "the first DATA")
            await asyncio.sleep(0.2)  # the other lane is waiting for the connection
            worker.stop()
            handler.gates[0].set()
            assert await sending == 4
            assert len(handler.messages) == 1
            assert handler.arrived == 1
            assert await statuses(runtime) == {"sent": 1, "queued": 3}
            async with runtime.sessions() as session:
                queued = (
                    await session.scalars(
                        select(OutboxMessage).where(OutboxMessage.status == "queued")
                    )
                ).all()
            assert [(m.attempts, m.lease_owner) for m in queued] == [(0, None)] * 3
        finally:
            await worker.close()
            await runtime.close()


async def test_a_tenants_connections_close_once_none_of_its_mail_is_in_hand(
    clean_db: Settings, tmp_path: Path
) -> None:
    """A tenant with its own server: once the worker holds none of its messages, its
    connections are closed, so the next worker to serve it stays within the cap."""
    with Sink(tmp_path / "sink", SINK_LOGIN) as sink:
        settings = clean_db.model_copy(update={"allow_private_mail_hosts": True, "dev": False})
        runtime = build_runtime(settings, extra_ca_files=(sink.ca_file,))
        await onboard(runtime, "acme")
        await add_custom_configs(runtime, ["acme"], sink.port)
        await queue(runtime, 3)
        worker = Worker(runtime)
        try:
            assert await worker.run_once() == 3
            assert sink.accepted() == 3
            deadline = asyncio.get_running_loop().time() + 10
            while sink.counters.open_now.value and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
            assert sink.counters.open_now.value == 0
        finally:
            await worker.close()
            await runtime.close()


async def test_a_slow_tenant_server_holds_no_batch_slot(
    clean_db: Settings, server: SmtpServer, pki: Pki
) -> None:
    """A tenant whose server takes its time has a message in each of the three batches in hand;
    the other tenant's later mail is still claimed and sent meanwhile, the slow tenant gets no
    new mail while it lingers, and its messages arrive, once each, when its server answers."""
    handler = GatedData(gated=1)  # the slow server holds its first DATA until the gate opens
    with SmtpServer(pki, security="starttls", credentials=SINK_LOGIN, handler=handler) as slow:
        settings = clean_db.model_copy(
            update={
                "default_smtp_url": f"smtp://platform:pl%40tform@127.0.0.1:{server.port}",
                "allow_private_mail_hosts": True,
                "dev": False,
                "worker_batch_size": 10,
                "worker_poll_seconds": 0.1,
                "smtp_timeout": 60,  # the held DATA must not time out
            }
        )
        runtime = build_runtime(settings, extra_ca_files=(pki.ca_file,))
        await onboard(runtime, "acme")
        await onboard(runtime, "slow")
        await add_custom_configs(runtime, ["slow"], slow.port)
        for _ in range(3):  # one slow message at the head of each of the first three batches
            await queue(runtime, 1, tenant_id="slow")
            await queue(runtime, 9)
        await queue(runtime, 30)
        worker = Worker(runtime)
        running = asyncio.create_task(worker.run())
        try:
            await wait_until(lambda: len(server.handler.messages) == 57, "acme's 57 messages")
            assert handler.arrived == 1 and handler.messages == []
            # Left alone in its batches for LINGER_SECONDS, the slow tenant gets no new mail
            # (the worker claims every 0.1 s meanwhile).
            await asyncio.sleep(LINGER_SECONDS)
            [later] = await queue(runtime, 1, tenant_id="slow")
            await asyncio.sleep(0.5)
            assert await status_of(runtime, later) == "queued"
            handler.gates[0].set()
            await wait_until(lambda: len(handler.messages) == 4, "the slow tenant's 4")
        finally:
            handler.gates[0].set()
            worker.stop()
            await running
            await runtime.close()
    slow_recipients = [r for m in handler.messages for r in m.rcpt_tos]
    assert sorted(slow_recipients) == ["u0@acme.test"] * 4  # queue() numbers from u0 per call
    assert await statuses_of(settings) == {"sent": 61}


async def wait_until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def status_of(runtime: Runtime, message_id: str) -> str:
    async with runtime.sessions() as session:
        message = await session.get(OutboxMessage, message_id)
    assert message is not None
    return message.status


async def statuses_of(settings: Settings) -> dict[str, int]:
    runtime = build_runtime(settings)
    try:
        return await statuses(runtime)
    finally:
        await runtime.close()


@contextmanager
def statements_of(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements ``runtime``'s engine runs within the block."""
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def queue_forgot_password(runtime: Runtime, *tenant_ids: str, **fields: str) -> None:
    async with runtime.sessions.begin() as session:
        for tenant_id in tenant_ids:
            await enqueue(
                session,
                tenant_id=tenant_id,
                process="forgot-password",
                recipient=f"u@{tenant_id}.test",
                context={},
                **fields,
            )


async def test_a_batch_reads_its_configurations_and_templates_together(
    runtime: Runtime,
) -> None:
    """Configurations, applications and custom templates are read for the whole batch: a
    claim of 12 tenants' e-mails runs the statements a claim of 2 tenants' runs (a lookup per
    tenant made a batch of many tenants as many round trips). Each e-mail gets its own
    tenant's server and template; a set ID of another tenant is not followed; an application
    deleted since the e-mail was queued falls back to User Profile's set."""
    tenants = [f"t{n:02d}" for n in range(12)]
    for tenant_id in tenants:
        await onboard(runtime, tenant_id)
    await add_custom_configs(runtime, tenants[::2], port=2525)
    async with runtime.sessions.begin() as session:  # t00's User Profile has a set of its own
        own = await create_set(session, tenant_id="t00", name="Own", actor="test")
        await session.execute(
            update(EmailTemplate)
            .where(EmailTemplate.set_id == own.id, EmailTemplate.type == "forgot-password")
            .values(subject="Own subject")
        )
        await update_application(
            session,
            tenant_id="t00",
            application_id=USER_PROFILE_ID,
            actor="test",
            template_set_id=own.id,
        )
    worker = Worker(runtime)

    await queue_forgot_password(runtime, "t00", "t01")
    with statements_of(runtime) as for_two:
        first = {job.message.tenant_id: job for job in await worker.take()}
    assert first["t00"].template is not None and first["t00"].template.subject == "Own subject"
    assert first["t01"].template is not None
    assert first["t01"].template.subject.startswith("Reset your password")
    await queue_forgot_password(runtime, *tenants[2:], language="de")
    await queue_forgot_password(runtime, "t01", template_set_id=own.id)
    await queue_forgot_password(runtime, "t00", application_id="deleted-since")
    with statements_of(runtime) as for_twelve:
        jobs = await worker.take()

    assert len(for_twelve) == len(for_two)
    german = {job.message.tenant_id: job for job in jobs if job.message.language == "de"}
    assert sorted(german) == tenants[2:]
    for tenant_id, job in german.items():
        assert job.route is not None and job.template is not None
        custom = tenants.index(tenant_id) % 2 == 0
        assert job.route.sender_email == (
            f"mail@{tenant_id}.test" if custom else "no-reply@platform.test"
        )
        assert job.template.subject.startswith("Setzen Sie Ihr Passwort")  # Default, German
    english = {job.message.tenant_id: job for job in jobs if job.message.language == "en"}
    other = english["t01"].template  # t00's set named by t01's e-mail: t01's Default
    assert other is not None and other.subject.startswith("Reset your password")
    gone = english["t00"].template  # its application deleted since: User Profile's set
    assert gone is not None and gone.subject == "Own subject"
    await worker.close()


async def test_a_test_email_the_command_line_delivers_is_left_to_it(
    runtime: Runtime, server: SmtpServer
) -> None:
    """``gatehouse mail send-test`` delivers its e-mail itself: a running worker claiming it
    first left the command reporting "sending: not delivered yet" (having sent it with that
    worker's keys and settings). Held for the caller, it is claimed by the caller alone, or by
    any worker after HELD_FOR_CALLER, had the caller died."""
    delivered, left = [
        await queue_test_email(
            runtime, tenant_id="acme", recipient=to, limit=0, delivered_here=True
        )
        for to in ("ops@acme.test", "left@acme.test")
    ]
    running = Worker(runtime)
    try:
        assert await running.take() == []
        assert await deliver_now(runtime, delivered) == "sent to ops@acme.test"
        assert [m.rcpt_tos for m in server.handler.messages] == [("ops@acme.test",)]
        async with runtime.sessions.begin() as session:  # the caller died: time passes
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == left)
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
        assert [job.message.id for job in await running.take()] == [left]
    finally:
        await running.close()


async def test_a_test_email_the_command_cannot_take_is_left_to_the_workers(
    runtime: Runtime, server: SmtpServer
) -> None:
    """A tenant with its own server whose mail another worker is sending: the command cannot
    take its test e-mail (one worker per tenant's server at a time). It said "queued: not
    delivered yet" and the e-mail waited out the two minutes held for the command; now the
    hold ends, and the command says why and who sends it."""
    await add_custom_configs(runtime, ["acme"], server.port)
    [busy] = await queue(runtime, 1)
    other = Worker(runtime)
    try:
        assert [job.message.id for job in await other.take()] == [busy]  # sending, for now
        message_id = await queue_test_email(
            runtime, tenant_id="acme", recipient="ops@acme.test", limit=0, delivered_here=True
        )
        assert await deliver_now(runtime, message_id) == (
            "queued: a running worker holds the tenant's connections, or its rate limit is "
            "reached; the workers will send it"
        )
        async with runtime.sessions() as session:
            message = await session.get(OutboxMessage, message_id)
            assert message is not None
            assert (message.status, message.attempts) == ("queued", 0)
            assert message.next_attempt_at <= utcnow()  # due: no longer held
    finally:
        await other.close()
