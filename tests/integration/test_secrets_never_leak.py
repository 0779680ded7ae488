"""The SMTP password of a tenant's mail server never leaves Gatehouse: a full save, probe and send
scenario through the REST API and the console, with every log record, response and page
captured, and every stored row read back."""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import NewClient, create_client
from gatehouse.db.models import Base
from gatehouse.mail.diagnosis import AUTH_FAILED, REDACTED
from gatehouse.mail.models import MailServerConfig, OutboxMessage
from gatehouse.processes.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, post_form
from tests.support.smtp_servers import (
    IGNORE_IMPLICIT_TLS_AUTH_WARNING,
    Pki,
    RecordingHandler,
    SmtpServer,
)

pytestmark = pytest.mark.filterwarnings(IGNORE_IMPLICIT_TLS_AUTH_WARNING)

SECRET = "Sup3r-S3cret-Pa55"
USER = "mailer"
API = "/admin/api/v1/mail-server"
PAGE = "/admin/tenant-settings/mail-server"
# aiosmtpd's own logger: the fake remote server logging its side of the wire, not Gatehouse.
REMOTE_SERVER_LOGGER = "mail.log"


def secret_forms() -> list[str]:
    """The password and the encodings an SMTP exchange carries it in (AUTH PLAIN and LOGIN)."""
    plain = f"\0{USER}\0{SECRET}".encode()
    return [SECRET, base64.b64encode(SECRET.encode()).decode(), base64.b64encode(plain).decode()]


def assert_no_secret(text: str, where: str) -> None:
    for form in secret_forms():
        assert form not in text, f"the SMTP password ({form!r}) appears in {where}"


@dataclass
class EchoingServer(SmtpServer):
    """Refuses every login with a 535 reply that repeats the user name and password."""

    def _controller_options(self) -> dict[str, Any]:
        options = super()._controller_options()

        def echo(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            assert isinstance(data, LoginPassword)
            login, password = data.login.decode(), data.password.decode()
            return AuthResult(
                success=False, handled=False, message=f"535 5.7.8 Bad login {login}/{password}"
            )

        options["authenticator"] = echo
        return options


ECHOED_AUTH_FAILURE = AUTH_FAILED.format(
    username=USER, reply=f"535 5.7.8 Bad login {USER}/{REDACTED}"
)


@dataclass
class Capture:
    """Every response (status line, headers, body) seen by the test's HTTP clients."""

    responses: list[str]

    def hook(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        self.responses.append(
            f"{request.method} {request.url.path} -> {response.status_code}\n{headers}\n\n"
            + response.text
        )


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG, from every logger and thread (the live server's included)."""
    caplog.set_level(logging.DEBUG)
    changed: list[tuple[logging.Logger, int]] = []
    attached: list[logging.Logger] = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger) or name.startswith(REMOTE_SERVER_LOGGER):
            continue
        changed.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        if not logger.propagate:  # uvicorn's loggers keep to their own handlers
            logger.addHandler(caplog.handler)
            attached.append(logger)
    yield caplog
    for logger in attached:
        logger.removeHandler(caplog.handler)
    for logger, level in changed:
        logger.setLevel(level)


def make_client(live: LiveServer) -> NewClient:
    async def work(runtime: Any) -> NewClient:
        async with runtime.sessions.begin() as session:
            return await create_client(
                session,
                tenant_id="demo",
                name="ci",
                authorizations=frozenset({Authorization.MANAGE_TENANT_CONFIGURATION}),
            )

    return live.run(work)


def config_for(server: SmtpServer, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "host": "localhost",
        "port": server.port,
        "security": "ssl",
        "authentication": "password",
        "username": USER,
        "password": SECRET,
        "sender_email": "no-reply@acme.example",
        "sender_name": "Acme",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def wait_until(check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout}s")


def outbox(live: LiveServer) -> list[tuple[str, str, str, str | None]]:
    async def work(runtime: Any) -> list[tuple[str, str, str, str | None]]:
        async with runtime.sessions() as session:
            rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))
            return [(m.id, m.process, m.status, m.last_error) for m in rows]

    return live.run(work)


def every_stored_value(live: LiveServer) -> tuple[list[str], str | None]:
    """Every value of every row of every table (as text), and the stored password decrypted."""

    async def work(runtime: Any) -> tuple[list[str], str | None]:
        values: list[str] = []
        async with runtime.sessions() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).all():
                    values += [f"{table.name}.{k}={v!r}" for k, v in row._mapping.items()]
            config = await session.get(MailServerConfig, "demo")
            stored = config.password_encrypted if config else None
        return values, runtime.secret_box.decrypt(stored) if stored else None

    result: tuple[list[str], str | None] = live.run(work)
    return result


def sign_in(client: httpx.Client) -> None:
    answer = post_form(
        client, "/admin/signin", {"identifier": DEMO_ADMIN_EMAIL, "password": DEMO_ADMIN_PASSWORD}
    )
    assert answer.status_code == 303


def console_form(server: SmtpServer, **overrides: str) -> dict[str, str]:
    form = {k: str(v) for k, v in config_for(server).items()}
    form.update(overrides)
    return form


def test_smtp_password_appears_in_no_log_response_page_or_row(
    demo: LiveServer,
    smtp_pki: Pki,
    all_logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Save, probe, send, fail and update with a password: it shows up nowhere but encrypted."""
    capture = Capture([])
    hooks = {"response": [capture.hook]}
    credentials = make_client(demo)
    auth = (credentials.client_id, credentials.secret)
    good = SmtpServer(smtp_pki, security="ssl", credentials=(USER, SECRET)).start()
    try:
        with (
            demo.client(auth=auth, event_hooks=hooks) as api,
            demo.client(event_hooks=hooks) as console,
            EchoingServer(smtp_pki, security="ssl", credentials=(USER, SECRET)) as echo,
        ):
            sign_in(console)
            # Save with the password, probe it, and send an e-mail through it.
            assert api.put(API, json=config_for(good)).status_code == 200
            assert api.post(f"{API}/test", json=config_for(good)).status_code == 200
            forgot = api.post(
                "/service/users/forgotPassword", json={"identifier": "jane@demo.test"}
            )
            assert forgot.status_code == 200
            wait_until(lambda: good.handler.messages, "the reset e-mail at the custom server")
            # Failing probes: a wrong password, and a server repeating the real one in its reply.
            wrong = api.put(API, json=config_for(good, password="Wr0ng-Pa55word"))
            assert wrong.status_code == 422
            echoed = api.post(f"{API}/test", json=config_for(echo))
            assert echoed.json() == {"detail": {"step": "auth", "message": ECHOED_AUTH_FAILURE}}
            # The console: its page, a field error and a failed probe after typing the password.
            assert console.get(PAGE).status_code == 200
            bad_field = post_form(console, PAGE, console_form(good, rate_limit_per_minute="10"))
            assert bad_field.status_code == 422
            bad_probe = post_form(console, PAGE, console_form(echo))
            assert bad_probe.status_code == 422
            assert ECHOED_AUTH_FAILURE in bad_probe.text
            # Updates keeping the stored password, by the API and by the console.
            kept = api.put(API, json=config_for(good, password=None, sender_name="Acme Mail"))
            assert kept.status_code == 200 and kept.json()["password_set"] is True
            saved = post_form(console, PAGE, console_form(good, password="", sender_name="Acme"))
            assert saved.status_code == 303
            assert "Configuration saved" in console.get(saved.headers["location"]).text
            # Forced failure: the server now refuses the login and repeats the password.
            good.stop()
            broken = EchoingServer(
                smtp_pki, security="ssl", credentials=(USER, SECRET), port=good.port
            ).start()
            assert broken.port == good.port
            try:
                token = csrf_token(console.get(PAGE))
                sent_test = console.post(
                    f"{PAGE}/test-email", data={"to": "ops@acme.example", "csrf_token": token}
                )
                assert sent_test.status_code == 303
                failed = wait_until(
                    lambda: [m for m in outbox(demo) if m[2] == "failed"], "a failed e-mail"
                )
            finally:
                broken.stop()
            assert failed[0][3] == f"auth: {ECHOED_AUTH_FAILURE}"
            # Everything an administrator can look at afterwards.
            console.get(sent_test.headers["location"])
            console.get(PAGE)
            console.get("/admin/tenant-settings/mail-delivery")
            listing = api.get("/admin/api/v1/messages")
            assert listing.status_code == 200
            for message_id, *_ in outbox(demo):
                assert api.get(f"/admin/api/v1/messages/{message_id}").status_code == 200
                console.get(f"/admin/tenant-settings/mail-delivery/{message_id}")
            assert api.get(API).json()["password_set"] is True
            assert api.get(f"{API}/changes").status_code == 200
    finally:
        good.stop()

    assert len(capture.responses) > 20
    for response in capture.responses:
        assert_no_secret(response, f"a response:\n{response[:300]}")
    assert good.handler.messages
    for mail in good.handler.messages:
        assert_no_secret(mail.raw.decode(errors="replace"), "an e-mail")

    records = [r for r in all_logs.records if not r.name.startswith(REMOTE_SERVER_LOGGER)]
    assert any(
        r.name == "gatehouse.mail.dispatcher" and r.threadName != "MainThread" for r in records
    ), "the live server's worker records were not captured"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in records:
        assert_no_secret(formatter.format(record), f"a log record of {record.name}")
    out, err = capfd.readouterr()
    assert_no_secret(out + err, "the process's output")

    values, decrypted = every_stored_value(demo)
    assert decrypted == SECRET  # stored, and only encrypted
    assert any(v.startswith("audit_entries.changes=") and "changed" in v for v in values)
    for value in values:
        assert_no_secret(value, f"the stored value {value[:120]}")


class QuotingRefusal(RecordingHandler):
    """Records each message, then refuses it quoting its reset link twice: as the link reads
    and as the body carries it (quoted-printable), as content filters do."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        text = self.messages[-1].message.get_body(("plain",))
        assert text is not None
        link = re.search(r"https?://\S+token=([\w-]+)", text.get_content())
        assert link is not None, "no reset link in the e-mail"
        self.tokens.append(link.group(1))
        raw = self.messages[-1].raw.decode()
        encoded = next(line for line in raw.splitlines() if "token=3D" in line)
        return f"554 5.7.1 Rejected: {link.group(0)} in {encoded}"


def test_a_reset_link_quoted_by_a_refusing_server_is_kept_out_of_the_log(
    demo: LiveServer, smtp_pki: Pki
) -> None:
    """The server's reply is stored and shown with the link's token taken out, wherever and
    however the reply quotes it; the rest of the reply is kept."""
    credentials = make_client(demo)
    handler = QuotingRefusal()
    with (
        demo.client(auth=(credentials.client_id, credentials.secret)) as api,
        demo.client() as console,
        SmtpServer(smtp_pki, security="ssl", credentials=(USER, SECRET), handler=handler) as smtp,
    ):
        sign_in(console)
        assert api.put(API, json=config_for(smtp)).status_code == 200
        forgot = api.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})
        assert forgot.status_code == 200
        [(message_id, _, _, last_error)] = wait_until(
            lambda: [m for m in outbox(demo) if m[2] == "failed"], "the refused reset e-mail"
        )
        [token] = handler.tokens
        detail = api.get(f"/admin/api/v1/messages/{message_id}")
        pages = [
            detail.text,
            api.get("/admin/api/v1/messages").text,
            console.get(f"/admin/tenant-settings/mail-delivery/{message_id}").text,
            console.get("/admin/tenant-settings/mail-delivery").text,
        ]
    assert last_error is not None
    assert last_error.startswith(
        "data: The server refused the message: 554 5.7.1 Rejected: "
        f"{demo.origin()}/reset-password?token={REDACTED} in "
    )
    assert last_error.count(REDACTED) == 2
    [attempt] = detail.json()["attempts"]
    assert attempt["error"].count(REDACTED) == 2
    for text in [last_error, *pages]:
        for piece in (token[:12], token[-12:], token[15:27]):
            assert piece not in text
