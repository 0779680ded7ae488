"""Secrets and links, end to end: API clients created in the console (a second secret added,
one deleted), a custom mail server configured with a password, e-mails sent, one failing once
and retried, one refused for good, the configuration changed to another server and password,
passwords reset through links from e-mails (forgot password, an administrator's Reset
Password e-mail) and an account activated, all with every logger at DEBUG. Then every log
record, every page and API answer, every audit entry and every column of every row is searched
for the SMTP passwords (and their AUTH encodings), the API client secrets and the raw link
tokens taken from the e-mails: none is found. Tokens are stored only as SHA-256 hashes, client
secrets only hashed, the SMTP password only encrypted, and e-mail bodies are erased once sent.

Exempt, because showing the secret there is their purpose: the console page that shows a new
client secret once, the e-mails themselves, and the page a link opens for its own holder."""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gatehouse.accounts.clients import SHA256_PREFIX
from gatehouse.accounts.tokens import TOKEN_SUPERSEDED
from gatehouse.crypto import hash_token
from gatehouse.db.base import utcnow
from gatehouse.db.models import Base
from gatehouse.mail.models import MailServerConfig, OutboxMessage
from gatehouse.processes.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
from tests.support.live import LiveServer
from tests.support.pages import csrf_for, csrf_token, link_in, path_of
from tests.support.smtp_servers import (
    IGNORE_IMPLICIT_TLS_AUTH_WARNING,
    Pki,
    ReceivedMessage,
    ScriptedHandler,
    SmtpServer,
)

pytestmark = pytest.mark.filterwarnings(IGNORE_IMPLICIT_TLS_AUTH_WARNING)

API = "/admin/api/v1"
USER = "relay-user"
FIRST_PASSWORD = "First-SMTP-Pa55!"
SECOND_PASSWORD = "Second-SMTP-Pa55?"
NEW_USER_PASSWORD = "Reset-Jane-2026!"
# Not Gatehouse's: the test's own fake mail servers (aiosmtpd logs the wire, AUTH included)
# and the test's HTTP client (httpx logs the URLs it requests, links included).
REMOTE_SERVER_LOGGERS = ("mail.log", "httpx", "httpcore")
SECRET_RE = re.compile(r'<code id="new-secret">([^<]+)</code>')
CLIENT_RE = re.compile(r'<code id="client-id">([^<]+)</code>')


@dataclass
class Secrets:
    """Every secret the scenario handled, by what it is."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, what: str, value: str) -> None:
        self.values[what] = value

    def smtp(self, what: str, password: str) -> None:
        self.add(what, password)
        self.add(f"{what} (base64)", base64.b64encode(password.encode()).decode())
        plain = base64.b64encode(f"\0{USER}\0{password}".encode()).decode()
        self.add(f"{what} (AUTH PLAIN)", plain)

    def found_in(self, text: str) -> list[str]:
        return [what for what, value in self.values.items() if value in text]


@dataclass
class Capture:
    """Every answer the test's HTTP clients received, and which ones are exempt (by position:
    a later answer of the same page is checked)."""

    answers: list[tuple[str, str]] = field(default_factory=list)  # (label, full text)
    exempt: set[int] = field(default_factory=set)

    def exempt_last(self) -> None:
        self.exempt.add(len(self.answers) - 1)

    def hook(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        label = f"{request.method} {request.url.path}?{request.url.query.decode()}"
        self.answers.append((label, f"{response.status_code}\n{headers}\n\n{response.text}"))


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG, from every logger and thread, uvicorn's access log included."""
    caplog.set_level(logging.DEBUG)
    changed: list[tuple[logging.Logger, int]] = []
    attached: list[logging.Logger] = []
    for name in [*logging.root.manager.loggerDict, "uvicorn.access", "uvicorn.error"]:
        logger = logging.getLogger(name)
        changed.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            attached.append(logger)
    yield caplog
    for logger in attached:
        logger.removeHandler(caplog.handler)
    for logger, level in changed:
        logger.setLevel(level)


def wait_until(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout}s")


def body_of(mail: ReceivedMessage) -> str:
    part = mail.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


def outbox(live: LiveServer) -> list[OutboxMessage]:
    async def read(runtime: Any) -> list[OutboxMessage]:
        async with runtime.sessions() as session:
            rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))
            return list(rows.all())

    result: list[OutboxMessage] = live.run(read)
    return result


def retry_now(live: LiveServer) -> None:
    """Time passes: e-mails waiting for their retry are due now."""

    async def nudge(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "queued")
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
        runtime.wake_worker()

    live.run(nudge)


def every_value(live: LiveServer) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every column of every row."""

    async def read(runtime: Any) -> list[tuple[str, str, Any]]:
        found = []
        async with runtime.sessions() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).all():
                    found += [(table.name, k, v) for k, v in row._mapping.items()]
        return found

    result: list[tuple[str, str, Any]] = live.run(read)
    return result


def server_config(server: SmtpServer, password: str | None, **extra: Any) -> dict[str, Any]:
    body = {
        "host": "localhost",
        "port": server.port,
        "security": "ssl",
        "authentication": "password",
        "username": USER,
        "password": password,
        "sender_email": "it@demo.test",
        "sender_name": "Demo IT",
        **extra,
    }
    return {k: v for k, v in body.items() if v is not None}


def form(client: httpx.Client, page: str, data: dict[str, Any]) -> httpx.Response:
    """Post a console form with the page's CSRF token."""
    return client.post(page, data={**data, "csrf_token": csrf_for(client, page)})


def test_no_secret_in_any_log_page_answer_audit_entry_or_column(
    demo: LiveServer, smtp_pki: Pki, all_logs: pytest.LogCaptureFixture
) -> None:
    """The whole scenario at DEBUG; then every place a secret could leak is searched."""
    secrets = Secrets()
    secrets.smtp("first SMTP password", FIRST_PASSWORD)
    secrets.smtp("second SMTP password", SECOND_PASSWORD)
    capture = Capture()
    hooks = {"response": [capture.hook]}
    flaky = ScriptedHandler({"DATA": ["451 4.3.0 Try again later"]})  # the first DATA fails
    picky = ScriptedHandler({"RCPT": ["550 5.1.1 No such user here"]})  # the first RCPT fails
    first = SmtpServer(smtp_pki, security="ssl", credentials=(USER, FIRST_PASSWORD), handler=flaky)
    second = SmtpServer(
        smtp_pki, security="ssl", credentials=(USER, SECOND_PASSWORD), handler=picky
    )
    with first, second, demo.client(event_hooks=hooks) as console:
        # API clients made in the console: a secret shown once, a second one, one deleted.
        console.post(
            "/admin/signin",
            data={
                "identifier": DEMO_ADMIN_EMAIL,
                "password": DEMO_ADMIN_PASSWORD,
                "csrf_token": csrf_token(console.get("/admin/signin")),
            },
        )
        made = form(
            console,
            "/admin/administrators/systems/new",
            {
                "name": "ops",
                "expiry": "1y",
                "authorization": ["manage-tenant-configuration", "manage-users"],
            },
        )
        assert made.status_code == 303  # the secret is shown on the page it leads to
        shown = console.get(made.headers["location"])
        client_id = CLIENT_RE.search(shown.text).group(1)
        client_secret = SECRET_RE.search(shown.text).group(1)
        secrets.add("API client secret", client_secret)
        capture.exempt_last()
        added = form(
            console, f"/admin/administrators/systems/{client_id}/secrets", {"expiry": "2y"}
        )
        shown = console.get(added.headers["location"])
        secrets.add("second API client secret", SECRET_RE.search(shown.text).group(1))
        capture.exempt_last()
        api = demo.client(auth=(client_id, client_secret), event_hooks=hooks)

        # A custom server with a password; a forgot-password e-mail fails once (451), retried.
        saved = api.put(f"{API}/mail-server", json=server_config(first, FIRST_PASSWORD))
        assert saved.status_code == 200, saved.text
        assert (
            api.post(f"{API}/mail-server/test", json=server_config(first, None)).status_code == 200
        )
        forgot = api.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})
        assert forgot.status_code == 200
        wait_until(lambda: any(m.status == "queued" and m.attempts for m in outbox(demo)), "retry")
        retry_now(demo)
        mail = wait_until(lambda: flaky.messages, "the reset e-mail")[0]
        first_link = link_in(body_of(mail))
        secrets.add("forgot-password token", token_of(first_link))

        # A failing probe with a wrong password, then the configuration moves to another server.
        wrong = api.put(f"{API}/mail-server", json=server_config(first, "Wrong-Pa55word"))
        assert wrong.status_code == 422
        moved = form(
            console, "/admin/tenant-settings/mail-server", server_config(second, SECOND_PASSWORD)
        )
        assert moved.status_code == 303, moved.text[:500]

        # A test e-mail refused for good (550), then an administrator's Reset Password e-mail.
        form(console, "/admin/tenant-settings/mail-server/test-email", {"to": "ops@demo.test"})
        wait_until(lambda: any(m.status == "failed" for m in outbox(demo)), "the failed e-mail")
        jane = api.get(f"{API}/users", params={"email": "jane@demo.test"}).json()["users"][0]
        sent = api.post(f"{API}/users/{jane['id']}/password-details/send-reset-email")
        assert sent.json()["result"] == "queued"
        reset_mail = wait_until(lambda: picky.messages, "the Reset Password e-mail")[0]
        admin_link = link_in(body_of(reset_mail))
        secrets.add("reset-password token", token_of(admin_link))

        # A user created on behalf: the activation e-mail's link activates the account.
        created = form(
            console,
            "/admin/users/new",
            {"email": "newbie@demo.test", "first_name": "New", "last_name": "Bie"},
        )
        assert created.status_code == 303, created.text[:300]
        activation = wait_until(lambda: picky.messages[1:], "the activation e-mail")[0]
        activation_link = link_in(body_of(activation))
        secrets.add("activation token", token_of(activation_link))

        # Links used: the forgot-password link sets Jane's password, the activation link too.
        with demo.client(event_hooks=hooks) as browser:
            for link in (first_link, activation_link):
                opened = browser.get(path_of(link))
                assert opened.status_code == 200
                capture.exempt_last()  # the holder's own page
                action = path_of(link).split("?")[0]
                done = browser.post(
                    action,
                    data={
                        "token": token_of(link),
                        "password": NEW_USER_PASSWORD,
                        "password_confirm": NEW_USER_PASSWORD,
                        "csrf_token": csrf_for(browser, action),
                    },
                )
                assert done.status_code == 303, done.text[:300]
            # Sent before Jane set her password with the first link: no longer valid.
            superseded = browser.get(path_of(admin_link))
            assert superseded.status_code == 400 and TOKEN_SUPERSEDED in superseded.text
            capture.exempt_last()

        # Everything an administrator can look at afterwards, in the console and the API.
        form(console, f"/admin/administrators/systems/{client_id}", {"name": "ops2"})
        view = console.get(f"/admin/administrators/systems/{client_id}")
        secret_ids = re.findall(r"confirm=delete-secret&amp;secret=([0-9a-f]+)", view.text)
        form(
            console,
            f"/admin/administrators/systems/{client_id}/secrets/{secret_ids[-1]}/delete",
            {},
        )
        wait_until(
            lambda: all(m.status in ("sent", "failed") for m in outbox(demo)), "an idle outbox"
        )
        for page in (
            "/admin",
            "/admin/tenant-settings/mail-server",
            "/admin/tenant-settings/mail-delivery",
            "/admin/administrators",
            f"/admin/administrators/systems/{client_id}",
            f"/admin/users/{jane['id']}?tab=authentication",
            "/admin/users",
        ):
            assert console.get(page).status_code == 200, page
        for message in outbox(demo):
            console.get(f"/admin/tenant-settings/mail-delivery/{message.id}")
            api.get(f"{API}/messages/{message.id}")
        for path in ("/mail-server", "/mail-server/changes", "/messages", "/users"):
            assert api.get(f"{API}{path}").status_code == 200, path
        api.get(f"{API}/users/{jane['id']}/password-details")
        api.close()

    # Every answer, but the exempt ones, is free of every secret.
    assert len(capture.answers) > 40
    leaks = [
        f"{label}: {secrets.found_in(text)}"
        for number, (label, text) in enumerate(capture.answers)
        if number not in capture.exempt and secrets.found_in(text)
    ]
    assert not leaks, "secrets in answers:\n" + "\n".join(leaks)

    # Every log record, uvicorn's access log with its request lines included.
    records = [r for r in all_logs.records if not r.name.startswith(REMOTE_SERVER_LOGGERS)]
    assert any(r.name == "uvicorn.access" for r in records), "no access log captured"
    assert any(r.name.startswith("gatehouse.mail") for r in records)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = [
        f"{r.name}: {secrets.found_in(formatter.format(r))}"
        for r in records
        if secrets.found_in(formatter.format(r))
    ]
    assert not logged, "secrets in log records:\n" + "\n".join(logged[:10])

    # Every column of every row (audit entries included); the secret columns hold only hashes.
    values = every_value(demo)
    stored = [
        f"{table}.{column}: {secrets.found_in(str(value))}"
        for table, column, value in values
        if secrets.found_in(str(value))
    ]
    assert not stored, "secrets in the database:\n" + "\n".join(stored)
    by_column: dict[str, list[Any]] = {}
    for table, column, value in values:
        by_column.setdefault(f"{table}.{column}", []).append(value)
    link_hashes = set(by_column["link_tokens.token_hash"])
    for what in ("forgot-password token", "reset-password token", "activation token"):
        assert hash_token(secrets.values[what]) in link_hashes, what
    client_hashes = set(by_column["api_client_secrets.secret_hash"])
    assert SHA256_PREFIX + hash_token(secrets.values["API client secret"]) in client_hashes
    assert all(str(h).startswith(SHA256_PREFIX) for h in client_hashes)
    assert any("changed" in str(v) for v in by_column["audit_entries.changes"]), (
        "the password change is logged only as changed"
    )
    done = [m for m in outbox(demo)]
    assert {m.status for m in done} == {"sent", "failed"}
    assert all(m.context is None for m in done), "a sent or failed e-mail kept its body"

    async def stored_password(runtime: Any) -> str:
        async with runtime.sessions() as session:
            config = await session.get(MailServerConfig, "demo")
            return str(runtime.secret_box.decrypt(config.password_encrypted))

    assert demo.run(stored_password) == SECOND_PASSWORD  # kept, and only encrypted
