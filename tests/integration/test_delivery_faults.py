"""Delivery faults against real TLS SMTP servers (aiosmtpd + trustme): what is retried, what
fails at once, the exact error stored for the administrator, and that a tenant's broken server
never falls back to the platform default."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from gatehouse.db.base import utcnow
from gatehouse.mail.configure import save_custom, save_ses
from gatehouse.mail.dispatcher import NOT_TRIED
from gatehouse.mail.models import QUEUED, OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.mail.worker import Worker
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.runtime import Runtime, build_runtime
from tests.support.delivery import (
    CONTEXT,
    PLATFORM_LOGIN,
    DeliverySetup,
    attempts_of,
    load,
    make_due,
    platform_url,
    queue,
)
from tests.support.moto_ses import PLATFORM_DOMAIN, MotoSes
from tests.support.smtp_servers import (
    UNTRUSTED_ISSUER,
    Pki,
    RecordingHandler,
    ScriptedHandler,
    SilentServer,
    SmtpServer,
    free_port,
)

TENANT_LOGIN = ("acme-mailer", "acme-secret")
SHORT_TIMEOUT = 1.5  # seconds: how long a stalled server is waited for in these tests


@pytest.fixture
def platform(pki: Pki) -> Iterator[SmtpServer]:
    """The platform default server (STARTTLS and login required), always healthy."""
    with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as smtp:
        yield smtp


async def short_timeouts(setup: DeliverySetup, port: int, **overrides: Any) -> Runtime:
    """A runtime whose default server is 127.0.0.1:``port``, waited for SHORT_TIMEOUT only."""
    return await setup.runtime(
        f"smtp://127.0.0.1:{port}",
        smtp_timeout=SHORT_TIMEOUT,
        smtp_connect_timeout=SHORT_TIMEOUT,
        **overrides,
    )


def assert_backoff(next_attempt_at: datetime, *, before: datetime) -> None:
    """The first retry is due about 30 s later (jittered by at most a fifth either way)."""
    delay = (next_attempt_at - before).total_seconds()
    assert 30 * 0.8 - 1 <= delay <= 30 * 1.2 + 5, delay


async def assert_retried_then_sent(
    runtime: Runtime, worker: Worker, message_id: str, *, last_error: str, started: datetime
) -> OutboxMessage:
    """After one failed attempt: queued for a retry with backoff and the pinned error; nothing is
    claimed before the retry is due; once due, the next attempt delivers it."""
    message = await load(runtime, message_id)
    assert (message.status, message.attempts, message.last_error) == (QUEUED, 1, last_error)
    assert message.context is not None  # the body is kept for the retry
    assert_backoff(message.next_attempt_at, before=started)
    assert await worker.run_once() == 0  # not due yet
    await make_due(runtime)
    assert await worker.run_once() == 1
    message = await load(runtime, message_id)
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.context is None and message.sent_at is not None
    return message


async def test_server_down_then_up_is_delivered_after_retry(setup: DeliverySetup, pki: Pki) -> None:
    """A refused connection is retried with backoff and delivered once the server is back."""
    port = free_port()
    runtime = await setup.runtime(platform_url(port))
    worker = setup.worker(runtime)
    [message_id] = await queue(runtime, "u0@acme.test")
    started = utcnow()
    assert await worker.run_once() == 1
    refused = (
        f"connect: Could not connect to 127.0.0.1:{port}: connection refused. No mail server is "
        "listening on this port; check the host and port."
    )
    message = await load(runtime, message_id)
    assert (message.status, message.attempts, message.last_error) == (QUEUED, 1, refused)
    assert_backoff(message.next_attempt_at, before=started)
    server = SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN, port=port)
    async with server:
        assert await worker.run_once() == 0  # the server is up, but the retry is not due yet
        await make_due(runtime)
        assert await worker.run_once() == 1
    assert [m.rcpt_tos for m in server.handler.messages] == [("u0@acme.test",)]
    message = await load(runtime, message_id)
    assert (message.status, message.attempts, message.context) == ("sent", 2, None)
    attempts = await attempts_of(runtime, message_id)
    assert [(a.outcome, a.step, a.server) for a in attempts] == [
        ("retry", "connect", f"127.0.0.1:{port} (STARTTLS)"),
        ("sent", None, f"127.0.0.1:{port} (STARTTLS)"),
    ]
    assert attempts[0].error == refused.removeprefix("connect: ")
    assert attempts[1].error is not None and attempts[1].error.endswith("2.0.0 OK: queued")


@pytest.mark.parametrize(
    ("command", "reply", "last_error"),
    [
        (
            "MAIL",
            "421 4.3.2 Service shutting down",
            "mail: The server temporarily refused the sender no-reply@platform.test: "
            "421 4.3.2 Service shutting down.",
        ),
        (
            "RCPT",
            "451 4.3.0 Mailbox temporarily unavailable",
            "rcpt: The server temporarily refused the recipient u0@acme.test: "
            "451 4.3.0 Mailbox temporarily unavailable.",
        ),
        (
            "DATA",
            "451 4.7.1 Greylisted, try again later",
            "data: The server temporarily refused the message: "
            "451 4.7.1 Greylisted, try again later.",
        ),
    ],
    ids=["421-mail", "451-rcpt", "451-data"],
)
async def test_temporary_reply_is_retried(
    setup: DeliverySetup, pki: Pki, command: str, reply: str, last_error: str
) -> None:
    """A 4xx reply keeps the message queued with backoff; the retry delivers it."""
    handler = ScriptedHandler(replies={command: [reply]})  # refuses once, then accepts
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        [message_id] = await queue(runtime, "u0@acme.test")
        started = utcnow()
        assert await worker.run_once() == 1
        await assert_retried_then_sent(
            runtime, worker, message_id, last_error=last_error, started=started
        )
    assert [m.rcpt_tos for m in handler.messages] == [("u0@acme.test",)]
    attempts = await attempts_of(runtime, message_id)
    code = int(reply[:3])
    assert [(a.outcome, a.reply_code) for a in attempts] == [("retry", code), ("sent", 250)]
    assert attempts[0].error == last_error.split(": ", 1)[1]


@pytest.mark.parametrize(
    ("command", "reply", "last_error"),
    [
        (
            "RCPT",
            "550 5.1.1 No such user",
            "rcpt: The server refused the recipient u0@acme.test: 550 5.1.1 No such user.",
        ),
        (
            "MAIL",
            "553 5.7.1 Sender address rejected",
            "mail: The server refused the sender no-reply@platform.test: "
            "553 5.7.1 Sender address rejected.",
        ),
        (
            "DATA",
            "554 5.6.0 Message rejected as spam",
            "data: The server refused the message: 554 5.6.0 Message rejected as spam.",
        ),
    ],
    ids=["550-rcpt", "553-mail", "554-data"],
)
async def test_permanent_reply_fails_at_once(
    setup: DeliverySetup, pki: Pki, command: str, reply: str, last_error: str
) -> None:
    """A 5xx reply fails the message on its first attempt; it is never tried again."""
    handler = ScriptedHandler(replies={command: reply})  # refuses every time
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        [message_id] = await queue(runtime, "u0@acme.test")
        assert await worker.run_once() == 1
        await make_due(runtime)
        assert await worker.run_once() == 0  # a failed message is never claimed again
    message = await load(runtime, message_id)
    assert (message.status, message.attempts, message.last_error) == ("failed", 1, last_error)
    assert message.context is None  # the body (with its links) is erased
    attempts = await attempts_of(runtime, message_id)
    assert [(a.outcome, a.reply_code) for a in attempts] == [("failed", int(reply[:3]))]
    assert handler.commands.count(command) == 1
    assert handler.messages == []


class DropDuringData(RecordingHandler):
    """Closes the connection instead of answering the first ``drops`` DATA commands (the
    message was transferred, no reply ever comes); then accepts like its parent."""

    def __init__(self, drops: int = 1) -> None:
        super().__init__()
        self.drops = drops
        self.data_commands = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.drops > 0:
            self.drops -= 1
            server.transport.close()
            return "451 4.3.0 never seen by the client"
        return await super().handle_DATA(server, session, envelope)


async def test_connection_dropped_during_data_is_retried(setup: DeliverySetup, pki: Pki) -> None:
    """A connection closed by the server during DATA is a transient error: retried, delivered."""
    handler = DropDuringData()
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        [message_id] = await queue(runtime, "u0@acme.test")
        started = utcnow()
        assert await worker.run_once() == 1
        dropped = (
            f"data: The mail server 127.0.0.1:{server.port} closed the connection during the "
            "message transfer (DATA)."
        )
        await assert_retried_then_sent(
            runtime, worker, message_id, last_error=dropped, started=started
        )
    assert handler.data_commands == 2
    assert [m.rcpt_tos for m in handler.messages] == [("u0@acme.test",)]


async def test_reused_connection_dropped_during_data_is_retried_later(
    setup: DeliverySetup, pki: Pki
) -> None:
    """A reused connection that drops during DATA is not resent at once (the server may have
    taken the message): the attempt is retried later, and the message arrives once."""
    handler = DropDuringData(drops=0)
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        worker = setup.worker(runtime)
        [first] = await queue(runtime, "u0@acme.test")
        assert await worker.run_once() == 1  # opens the connection the next message reuses
        handler.drops = 1
        [second] = await queue(runtime, "u1@acme.test")
        started = utcnow()
        assert await worker.run_once() == 1
        dropped = (
            f"data: The mail server 127.0.0.1:{server.port} closed the connection during the "
            "message transfer (DATA)."
        )
        await assert_retried_then_sent(runtime, worker, second, last_error=dropped, started=started)
    assert (await load(runtime, first)).status == "sent"
    assert handler.data_commands == 3
    assert [m.rcpt_tos for m in handler.messages] == [("u0@acme.test",), ("u1@acme.test",)]


async def test_server_stalling_in_data_times_out_and_is_retried(
    setup: DeliverySetup, pki: Pki
) -> None:
    """A server that never answers DATA costs one timeout; the message is retried, delivered."""
    handler = ScriptedHandler(stall={"DATA"})
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await short_timeouts(setup, server.port)
        worker = setup.worker(runtime)
        [message_id] = await queue(runtime, "u0@acme.test")
        started = utcnow()
        before = asyncio.get_running_loop().time()
        assert await worker.run_once() == 1
        assert asyncio.get_running_loop().time() - before < SHORT_TIMEOUT + 5
        handler.stall = frozenset()  # the server recovers
        timed_out = (
            f"data: The mail server 127.0.0.1:{server.port} timed out during the message "
            "transfer (DATA)."
        )
        await assert_retried_then_sent(
            runtime, worker, message_id, last_error=timed_out, started=started
        )
    assert handler.commands.count("DATA") == 2
    assert [m.rcpt_tos for m in handler.messages] == [("u0@acme.test",)]


async def test_a_stalled_server_costs_one_timeout_per_connection_not_per_message(
    setup: DeliverySetup, pki: Pki
) -> None:
    """Five messages, two connections, a server that never answers MAIL: each connection waits
    out one timeout; the other three messages are not tried in that batch (their attempt says
    why), and all five are delivered on the retry."""
    handler = ScriptedHandler(stall={"MAIL"})
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await short_timeouts(setup, server.port, max_connections_per_tenant=2)
        worker = setup.worker(runtime)
        message_ids = await queue(runtime, *(f"u{n}@acme.test" for n in range(5)))
        assert await worker.run_once() == 5
        assert handler.commands == ["MAIL", "MAIL"]  # one per connection, then no more
        timed_out = f"The mail server 127.0.0.1:{server.port} timed out during MAIL FROM."
        errors = []
        for message_id in message_ids:
            message = await load(runtime, message_id)
            assert (message.status, message.attempts) == (QUEUED, 1)
            [attempt] = await attempts_of(runtime, message_id)
            assert (attempt.outcome, attempt.step) == ("retry", "mail")
            errors.append(attempt.error)
        not_tried = f"{timed_out} {NOT_TRIED}"
        assert sorted(errors) == sorted([timed_out] * 2 + [not_tried] * 3)
        handler.stall = frozenset()  # the server recovers
        await make_due(runtime)
        assert await worker.run_once() == 5
    assert sorted(r for m in handler.messages for r in m.rcpt_tos) == sorted(
        f"u{n}@acme.test" for n in range(5)
    )


async def test_server_silent_before_greeting_times_out_and_is_retried(
    setup: DeliverySetup, pki: Pki
) -> None:
    """A server that accepts the connection but never greets is retried after one timeout."""
    with SilentServer() as silent:
        runtime = await short_timeouts(setup, silent.port)
        worker = setup.worker(runtime)
        [message_id] = await queue(runtime, "u0@acme.test")
        started = utcnow()
        assert await worker.run_once() == 1
    message = await load(runtime, message_id)
    no_greeting = (
        f"connect: The mail server 127.0.0.1:{silent.port} sent no greeting in time: it probably "
        "expects implicit TLS on this port. Choose SSL/TLS as the security setting."
    )
    assert (message.status, message.attempts, message.last_error) == (QUEUED, 1, no_greeting)
    assert_backoff(message.next_attempt_at, before=started)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_server_silent_at_ehlo_times_out_at_ehlo_and_is_retried(
    setup: DeliverySetup, pki: Pki, security: Any
) -> None:
    """A server that greets but never answers EHLO costs one timeout, named EHLO (with STARTTLS
    too, where EHLO comes first); the message is retried and delivered."""
    handler = ScriptedHandler(stall={"EHLO"})
    async with SmtpServer(pki, security=security, handler=handler) as server:
        scheme = "smtps" if security == "ssl" else "smtp"
        runtime = await setup.runtime(
            f"{scheme}://127.0.0.1:{server.port}",
            smtp_timeout=SHORT_TIMEOUT,
            smtp_connect_timeout=SHORT_TIMEOUT,
        )
        worker = setup.worker(runtime)
        [message_id] = await queue(runtime, "u0@acme.test")
        started = utcnow()
        assert await worker.run_once() == 1
        handler.stall = frozenset()  # the server recovers
        timed_out = f"ehlo: The mail server 127.0.0.1:{server.port} timed out during EHLO."
        await assert_retried_then_sent(
            runtime, worker, message_id, last_error=timed_out, started=started
        )
    assert [m.rcpt_tos for m in handler.messages] == [("u0@acme.test",)]


async def test_replaced_untrusted_certificate_fails_without_fallback(
    setup: DeliverySetup, pki: Pki, platform: SmtpServer
) -> None:
    """A tenant whose server now shows a certificate from an untrusted issuer: the message fails
    at once with a diagnosis naming the issuer, and nothing goes through the default server."""
    runtime = await setup.runtime(platform_url(platform.port))
    worker = setup.worker(runtime)
    user, password = TENANT_LOGIN
    tenant_server = SmtpServer(pki, security="starttls", credentials=TENANT_LOGIN)
    async with tenant_server:
        async with runtime.sessions() as session:
            await save_custom(
                runtime,
                session,
                tenant_id="acme",
                actor="admin@acme.test",
                raw={
                    "host": "127.0.0.1",
                    "port": str(tenant_server.port),
                    "security": "starttls",
                    "authentication": "password",
                    "username": user,
                    "password": password,
                    "sender_email": "mail@acme.test",
                    "sender_name": "Acme",
                },
            )
        [before] = await queue(runtime, "u0@acme.test")
        assert await worker.run_once() == 1  # through the tenant's server, connection kept
    assert [m.mail_from for m in tenant_server.handler.messages] == ["mail@acme.test"]
    assert (await load(runtime, before)).status == "sent"

    port = tenant_server.port
    replaced = SmtpServer(
        pki, security="starttls", cert="untrusted", credentials=TENANT_LOGIN, port=port
    )
    async with replaced:
        [message_id] = await queue(runtime, "u1@acme.test")
        assert await worker.run_once() == 1
        await make_due(runtime)
        assert await worker.run_once() == 0
    untrusted = (
        f"tls: The server's certificate was issued by {UNTRUSTED_ISSUER}, which the platform "
        "does not trust (or the server does not send its intermediate certificates). Use a "
        "certificate from a public certificate authority and make the server send the full chain."
    )
    message = await load(runtime, message_id)
    assert (message.status, message.attempts, message.last_error) == ("failed", 1, untrusted)
    [attempt] = await attempts_of(runtime, message_id)
    assert (attempt.outcome, attempt.step, attempt.server) == (
        "failed",
        "tls",
        f"127.0.0.1:{port} (STARTTLS)",
    )
    assert replaced.handler.messages == []
    assert platform.handler.messages == []  # no fallback to the platform default


class QuotingUnavailable(RecordingHandler):
    """Answers every DATA with a 421 quoting the reset link of the message's own recipient,
    as a content filter might."""

    def __init__(self, links: dict[str, str]) -> None:
        super().__init__()
        self.links = links

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return f"421 4.7.0 Try later, held: {self.links[envelope.rcpt_tos[0]]}"


async def test_a_quoted_link_is_not_passed_on_to_the_messages_not_tried_after_it(
    setup: DeliverySetup, pki: Pki
) -> None:
    """A 421 quoting message A's link makes the worker skip the next messages of the same
    connection, telling each why in its own attempt: A's link is taken out before that, not
    only from A's own record (B's record held A's live link)."""
    tokens = {f"u{n}@acme.test": f"Tok{n}-{'x' * 30}{n}" for n in range(3)}
    links = {to: f"http://acme.localhost/reset-password?token={t}" for to, t in tokens.items()}
    handler = QuotingUnavailable(links)
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(f"smtp://127.0.0.1:{server.port}")
        async with runtime.sessions.begin() as session:
            ids = [
                (
                    await enqueue(
                        session,
                        tenant_id="acme",
                        process="test-email",
                        recipient=to,
                        context={"user": {**CONTEXT["user"], "reset_password_link": link}},
                    )
                ).id
                for to, link in links.items()
            ]
        assert await setup.worker(runtime).run_once() == 3
    stored = []
    for message_id in ids:
        stored.append(str((await load(runtime, message_id)).last_error))
        stored += [str(attempt.error) for attempt in await attempts_of(runtime, message_id)]
    assert sum(NOT_TRIED in text for text in stored) >= 2  # one was tried, the others not
    for text in stored:
        assert "reset-password?token=[redacted]" in text, text
        assert not any(token[:12] in text or token[-12:] in text for token in tokens.values())


async def test_another_tenants_recipient_is_not_passed_on_to_the_messages_not_tried(
    setup: DeliverySetup, pki: Pki
) -> None:
    """Tenants on the platform default share its connections: a 421 to one tenant's recipient
    makes the worker skip the next messages of that connection, another tenant's too, and
    tell each why; that tenant's delivery log must not show the first tenant's recipient,
    neither as stored nor as the server quotes it (an internationalised domain as A-labels),
    nor anything else the reply quotes: it gets the reply's code alone."""
    handler = QuotingHandler()
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(
            f"smtp://127.0.0.1:{server.port}",
            max_connections_per_tenant=1,
            default_max_connections=1,  # every tenant over the one connection
        )
        async with runtime.sessions.begin() as session:
            await onboard_tenant(
                session,
                settings=runtime.settings,
                display_name="Beta",
                admin_email="admin@beta.test",
                tenant_id="beta",
                admin_password="Beta-Admin-1",
            )
            recipients = {
                "acme": ["a1@bücher.example", "a2@acme.test"],
                "beta": ["b1@beta.test", "b2@beta.test"],
            }
            ids = {
                tenant: [
                    (
                        await enqueue(
                            session,
                            tenant_id=tenant,
                            process="test-email",
                            recipient=recipient,
                            context=CONTEXT,
                        )
                    ).id
                    for recipient in addresses
                ]
                for tenant, addresses in recipients.items()
            }
        assert await setup.worker(runtime).run_once() == 4
    stored: dict[str, list[str]] = {tenant: [] for tenant in ids}
    for tenant, message_ids in ids.items():
        for message_id in message_ids:
            stored[tenant].append(str((await load(runtime, message_id)).last_error))
            stored[tenant] += [str(a.error) for a in await attempts_of(runtime, message_id)]
    # Each tenant's first message was tried (both waited for the connection), the second not:
    # acme's after acme's first, beta's after it too (the first on the connection).
    refused = (
        "The server temporarily refused the recipient {0}: 421 4.7.0 <{0}> Too busy, try later."
    )
    acme = refused.format("a1@xn--bcher-kva.example")  # as the server quotes it
    assert stored["acme"] == [
        f"rcpt: {acme}",
        acme,
        f"rcpt: {acme} {NOT_TRIED}",
        f"{acme} {NOT_TRIED}",
    ]
    not_tried = (
        "Not tried: the mail server answered 421 to another tenant's e-mail just before it, on "
        "the same connection; that reply is not shown here."
    )
    assert stored["beta"] == [
        f"rcpt: {refused.format('b1@beta.test')}",
        refused.format("b1@beta.test"),
        f"rcpt: {not_tried}",
        not_tried,
    ]


class QuotingHandler(ScriptedHandler):
    """Answers every RCPT with a 421 that quotes the address, as many servers do."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return f"421 4.7.0 <{address}> Too busy, try later"


async def test_a_refused_login_is_not_tried_again_for_the_rest_of_the_batch(
    setup: DeliverySetup, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    """Five messages, two connections, a server refusing the password: one refused login per
    connection, not one per message (a provider counts them towards locking the mailbox); all
    five fail at once, three of them saying they were not tried and why. The server is the
    platform default: its tenants are told that only the operator can correct it, not the
    platform's user name (an access key ID at some providers) with advice meant for their own
    server; the operator's log has the diagnosis, once per refused login."""
    async with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as server:
        user, _ = PLATFORM_LOGIN
        runtime = await setup.runtime(
            f"smtp://{user}:changed-at-the-provider@127.0.0.1:{server.port}",
            max_connections_per_tenant=2,
        )
        message_ids = await queue(runtime, *(f"u{n}@acme.test" for n in range(5)))
        assert await setup.worker(runtime).run_once() == 5
    assert len(server.logins) == 2  # one per connection
    assert server.handler.messages == []
    diagnosis = (
        f"The server refused the login of user {user}: 535 5.7.8 Authentication credentials "
        "invalid. Check the user name and password."
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "gatehouse.mail.dispatcher"]
    assert (
        logged
        == [
            "the platform default mail server (GATEHOUSE_DEFAULT_SMTP_URL) did not accept the "
            f"login: {diagnosis} Every e-mail through it fails until that is corrected."
        ]
        * 2
    )
    refused = (
        "The platform's mail server did not accept the platform's login. Only the platform "
        "operator can correct this; the delivery worker's log says why."
    )
    errors = []
    for message_id in message_ids:
        message = await load(runtime, message_id)
        assert (message.status, message.attempts) == ("failed", 1)
        [attempt] = await attempts_of(runtime, message_id)
        assert (attempt.outcome, attempt.step, attempt.reply_code) == ("failed", "auth", 535)
        errors.append(attempt.error)
    assert sorted(errors) == sorted([refused] * 2 + [f"{refused} {NOT_TRIED}"] * 3)


async def test_without_a_default_server_an_email_waits_and_is_sent_once_it_is_set(
    setup: DeliverySetup, pki: Pki, platform: SmtpServer
) -> None:
    """No GATEHOUSE_DEFAULT_SMTP_URL (the operator's setting is missing): the e-mail is not
    failed but waits, saying why; a worker with the setting made delivers it."""
    runtime = await setup.runtime("")
    [message_id] = await queue(runtime, "u0@acme.test")
    assert await setup.worker(runtime).run_once() == 1
    message = await load(runtime, message_id)
    assert (message.status, message.attempts, message.last_error) == (
        QUEUED,
        1,
        "config: No default mail server is configured for the platform "
        "(GATEHOUSE_DEFAULT_SMTP_URL): the e-mail waits for it and is tried again.",
    )
    settings = runtime.settings.model_copy(update={"default_smtp_url": platform_url(platform.port)})
    fixed = build_runtime(settings, extra_ca_files=(pki.ca_file,))  # the same database
    setup.runtimes.append(fixed)
    await make_due(fixed)
    assert await setup.worker(fixed).run_once() == 1
    assert (await load(fixed, message_id)).status == "sent"
    assert [m.rcpt_tos for m in platform.handler.messages] == [("u0@acme.test",)]


async def choose_ses(runtime: Runtime) -> None:
    """Tenant acme chooses Amazon SES, from no-reply@ the platform's domain."""
    async with runtime.sessions() as session:
        await save_ses(
            runtime,
            session,
            tenant_id="acme",
            actor="admin:admin@acme.test",
            raw={"mode": "ses", "from_username": "no-reply", "from_domain": PLATFORM_DOMAIN},
        )


def runtime_without_ses(setup: DeliverySetup, runtime: Runtime) -> Runtime:
    """A runtime on ``runtime``'s database whose settings lack the platform's SES account."""
    without = build_runtime(runtime.settings.model_copy(update={"ses_region": ""}))
    setup.runtimes.append(without)
    return without


async def test_with_ses_turned_off_an_email_waits_and_is_sent_once_it_is_back(
    setup: DeliverySetup, platform: SmtpServer, moto_ses: MotoSes
) -> None:
    """A tenant on Amazon SES, on a worker without SES (the operator turned it off, or this
    worker lacks the setting): the e-mail is not failed, nor sent through the default server,
    but waits saying why; a worker with SES delivers it."""
    moto_ses.reset()
    runtime = await setup.runtime(platform_url(platform.port))
    await choose_ses(runtime)
    without_ses = runtime_without_ses(setup, runtime)
    [message_id] = await queue(without_ses, "u0@acme.test")
    assert await setup.worker(without_ses).run_once() == 1
    message = await load(without_ses, message_id)
    assert (message.status, message.attempts, message.last_error) == (
        QUEUED,
        1,
        "config: The Amazon Simple Email Service option is not available on this platform: the "
        "e-mail waits for it, or for another mail server configuration, and is tried again.",
    )
    assert platform.handler.messages == [] and moto_ses.sent() == []
    await make_due(runtime)
    assert await setup.worker(runtime).run_once() == 1
    assert (await load(runtime, message_id)).status == "sent"
    sent = [(m["source"], list(dict.fromkeys(m["destinations"]))) for m in moto_ses.sent()]
    assert sent == [(f"no-reply@{PLATFORM_DOMAIN}", ["u0@acme.test"])]  # moto lists To again
    assert platform.handler.messages == []


async def test_a_worker_without_ses_says_so_at_start_when_tenants_use_it(
    setup: DeliverySetup, platform: SmtpServer, moto_ses: MotoSes, caplog: pytest.LogCaptureFixture
) -> None:
    """Said at start, not first in the tenants' delivery logs (a worker without SES where no
    tenant uses it says nothing)."""
    moto_ses.reset()
    runtime = await setup.runtime(platform_url(platform.port))
    without_ses = runtime_without_ses(setup, runtime)

    async def started() -> list[str]:
        caplog.clear()
        worker = setup.worker(without_ses)
        with caplog.at_level(logging.WARNING, logger="gatehouse.mail.worker"):
            running = asyncio.create_task(worker.run())
            await asyncio.sleep(0.3)
            worker.stop()
            await running
        return [m.replace(worker.owner, "W") for m in caplog.messages]

    assert await started() == []
    await choose_ses(runtime)
    assert await started() == [
        "delivery worker W: GATEHOUSE_SES_REGION and GATEHOUSE_SES_DEFAULT_DOMAIN are not both "
        "set, so the e-mails of the tenants on Amazon SES (1) wait when this worker claims them"
    ]
