"""Internationalised addresses against real aiosmtpd servers with and without SMTPUTF8: the
probe, the SMTP transport and the mail server API either use SMTPUTF8 or say plainly that the
server lacks it (they said "UnicodeEncodeError: 'ascii' codec can't encode ...")."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import DeliveryError, PermanentDeliveryError
from gatehouse.mail.configure import save_custom
from gatehouse.mail.mime import build_message
from gatehouse.mail.probe import probe_smtp
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.transports.smtp import SmtpTransport
from gatehouse.mail.trust import build_tls_context
from tests.integration.test_mail_server_api import API, make_client, state
from tests.support.delivery import PLATFORM_LOGIN, DeliverySetup, load, platform_url, queue
from tests.support.live import LiveServer
from tests.support.smtp_servers import IGNORE_IMPLICIT_TLS_AUTH_WARNING, Pki, SmtpServer

pytestmark = pytest.mark.filterwarnings(IGNORE_IMPLICIT_TLS_AUTH_WARNING)

USER = "mailer"
PASSWORD = "Corr3ct-Horse-Battery!"
IDN_SENDER = "jürgen@bücher.example"
ASCII_SENDER = "no-reply@acme.example"
NO_SMTPUTF8_SENDER = (
    "The server does not support internationalised e-mail addresses (SMTPUTF8), so it cannot "
    f"take the sender {IDN_SENDER}. Use an address with only ASCII characters, or enable "
    "SMTPUTF8 on the mail server."
)


@pytest.fixture(params=[False, True], ids=["no-smtputf8", "smtputf8"])
def server(request: pytest.FixtureRequest, smtp_pki: Pki) -> Iterator[SmtpServer]:
    """Implicit TLS with a login, offering SMTPUTF8 or not."""
    with SmtpServer(
        smtp_pki, security="ssl", credentials=(USER, PASSWORD), smtputf8=request.param
    ) as running:
        yield running


def context(pki: Pki) -> ssl.SSLContext:
    return build_tls_context(extra_ca_files=(pki.ca_file,))


def mail(sender: str, recipient: str, reply_to: str | None = None) -> bytes:
    text = TemplateText("Hallo", "text", "<p>html</p>")
    return build_message(
        text,
        sender_email=sender,
        sender_name="",
        recipient=recipient,
        reply_to=reply_to,
        message_id="1" * 32,
    )


async def test_probe_sends_an_internationalised_sender_with_smtputf8_or_says_why(
    server: SmtpServer, smtp_pki: Pki
) -> None:
    """The probe's MAIL FROM of a non-ASCII sender uses SMTPUTF8, or names the missing
    extension at the mail step (permanent), never a Python encoding error."""
    endpoint = server.endpoint(username=USER, password=PASSWORD)
    probe = probe_smtp(
        endpoint, tls_context=context(smtp_pki), allow_private=True, sender=IDN_SENDER
    )
    if server.smtputf8:
        report = await probe
        assert "mail" in report.steps
        return
    with pytest.raises(DeliveryError) as caught:
        await probe
    assert isinstance(caught.value, PermanentDeliveryError)
    assert (caught.value.step, caught.value.message) == ("mail", NO_SMTPUTF8_SENDER)


@pytest.mark.parametrize(
    ("sender", "recipient", "reply_to", "step", "message"),
    [
        (IDN_SENDER, "jane@example.org", None, "mail", NO_SMTPUTF8_SENDER),
        (
            ASCII_SENDER,
            "jürgen@bücher.example",
            None,
            "rcpt",
            "The server does not support internationalised e-mail addresses (SMTPUTF8), so it "
            "cannot take the recipient jürgen@bücher.example. Use an address with only ASCII "
            "characters, or enable SMTPUTF8 on the mail server.",
        ),
        (
            ASCII_SENDER,
            "jane@example.org",
            "hilfe@bücher.example",
            "data",
            "The server does not support internationalised e-mail addresses (SMTPUTF8), so it "
            "cannot take a message whose Reply-To is not ASCII. Use a Reply-To with only ASCII "
            "characters, or enable SMTPUTF8 on the mail server.",
        ),
    ],
    ids=["sender", "recipient", "reply-to"],
)
async def test_transport_sends_with_smtputf8_or_fails_permanently_naming_the_address(
    server: SmtpServer,
    smtp_pki: Pki,
    sender: str,
    recipient: str,
    reply_to: str | None,
    step: str,
    message: str,
) -> None:
    """Sending a message with a non-ASCII address: delivered over SMTPUTF8, or a permanent
    failure naming the step and the address (a transient "Unexpected error" was retried)."""
    endpoint = server.endpoint(username=USER, password=PASSWORD)
    transport = SmtpTransport(
        endpoint,
        tls_context=context(smtp_pki),
        allow_private=True,
        connect_timeout=3,
        timeout=5,
        ehlo_name="gatehouse.test",
    )
    try:
        send = transport.send(
            mail(sender, recipient, reply_to), sender=sender, recipients=[recipient]
        )
        if server.smtputf8:
            await send
            [received] = server.handler.messages
            assert (received.mail_from, received.rcpt_tos) == (sender, (recipient,))
            return
        with pytest.raises(PermanentDeliveryError) as caught:
            await send
    finally:
        await transport.close()
    assert (caught.value.step, caught.value.message) == (step, message)
    assert server.handler.messages == []


@pytest.fixture
def api(demo: LiveServer) -> Iterator[httpx.Client]:
    admin = make_client(demo, "demo", "idn", Authorization.MANAGE_TENANT_CONFIGURATION)
    with admin.client(demo) as client:
        yield client


def config(server: SmtpServer, **overrides: Any) -> dict[str, Any]:
    body = {
        "host": "localhost",
        "port": server.port,
        "security": "ssl",
        "authentication": "password",
        "username": USER,
        "password": PASSWORD,
        "sender_email": IDN_SENDER,
    }
    return {**body, **overrides}


def test_api_saves_an_internationalised_sender_only_where_it_can_be_sent(
    demo: LiveServer, api: httpx.Client, server: SmtpServer
) -> None:
    """PUT with a non-ASCII sender: 200 on a server with SMTPUTF8; else 422 at the mail step
    with the plain message, and nothing stored."""
    before = state(api)
    response = api.put(API, json=config(server))
    if server.smtputf8:
        assert response.status_code == 200, response.text
        assert response.json()["sender_email"] == IDN_SENDER
        return
    assert response.status_code == 422
    assert response.json() == {"detail": {"step": "mail", "message": NO_SMTPUTF8_SENDER}}
    assert state(api) == before


IDN_DOMAIN_SENDER = "it@bücher.example"  # ASCII local part: it has an ASCII form
IDN_DOMAIN_ASCII = "it@xn--bcher-kva.example"


async def test_probe_sends_an_address_with_only_its_domain_internationalised_in_ascii(
    server: SmtpServer, smtp_pki: Pki
) -> None:
    """A sender whose local part is ASCII passes the probe with or without SMTPUTF8: its
    domain goes in A-labels (RFC 5321), so the administrator is never told to use an ASCII
    address they already have."""
    endpoint = server.endpoint(username=USER, password=PASSWORD)
    report = await probe_smtp(
        endpoint, tls_context=context(smtp_pki), allow_private=True, sender=IDN_DOMAIN_SENDER
    )
    assert "mail" in report.steps


def defects(message: EmailMessage) -> list[str]:
    """Every defect the standard library's parser found, in any part or header."""
    found = [f"{part.get_content_type()}: {d!r}" for part in message.walk() for d in part.defects]
    headers = [(name, value) for part in message.walk() for name, value in part.items()]
    return found + [f"{name}: {d!r}" for name, value in headers for d in value.defects]


async def test_internationalised_domains_reach_a_server_without_smtputf8_in_ascii(
    setup: DeliverySetup, pki: Pki
) -> None:
    """Sender, Reply-To and recipient whose only non-ASCII part is the domain: the e-mail is
    delivered by a server without SMTPUTF8, envelope and headers in A-labels, 7-bit, and the
    standard library's parser finds no defect in it."""
    login = ("acme-mailer", "Pässwörd-€")
    with (
        SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as platform,
        SmtpServer(pki, security="starttls", credentials=login) as custom,
    ):
        runtime = await setup.runtime(platform_url(platform.port))
        async with runtime.sessions() as session:
            await save_custom(
                runtime,
                session,
                tenant_id="acme",
                actor="test",
                raw={
                    "host": "localhost",
                    "port": str(custom.port),
                    "security": "starttls",
                    "authentication": "password",
                    "username": login[0],
                    "password": login[1],
                    "sender_email": IDN_DOMAIN_SENDER,
                    "sender_name": 'Bücher IT, "Desk"',
                    "reply_to": "hilfe@bücher.example",
                },
            )
        [message_id] = await queue(runtime, "jane@müller.example")
        assert await setup.worker(runtime).run_once() == 1
    assert ((await load(runtime, message_id)).status, platform.handler.messages) == ("sent", [])
    [received] = custom.handler.messages
    assert (received.mail_from, received.rcpt_tos) == (
        IDN_DOMAIN_ASCII,
        ("jane@xn--mller-kva.example",),
    )
    assert received.raw.isascii()
    strict = email.policy.default.clone(raise_on_defect=True)
    message = email.message_from_bytes(received.raw, policy=strict)
    assert isinstance(message, EmailMessage)
    assert defects(message) == []
    assert str(message["From"]) == f'"Bücher IT, \\"Desk\\"" <{IDN_DOMAIN_ASCII}>'
    assert str(message["To"]) == "jane@xn--mller-kva.example"
    assert str(message["Reply-To"]) == "hilfe@xn--bcher-kva.example"
    assert message["Message-ID"] == f"<{message_id}@xn--bcher-kva.example>"
