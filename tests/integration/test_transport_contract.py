"""The transport contract, run against every implementation: SMTP (a real aiosmtpd server with
TLS) and SES (a local moto server). Each must deliver, report refusals as permanent and an
unreachable service as transient, and survive close()."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from gatehouse.errors import PermanentDeliveryError, TransientDeliveryError
from gatehouse.mail.mime import build_message
from gatehouse.mail.ses_client import SesClient
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.transports.base import Transport
from gatehouse.mail.transports.ses import SesTransport
from gatehouse.mail.transports.smtp import SmtpTransport
from gatehouse.mail.trust import build_tls_context
from gatehouse.settings import Settings
from tests.support.live import free_port
from tests.support.moto_ses import PLATFORM_DOMAIN, REGION, MotoSes
from tests.support.smtp_servers import Pki, ScriptedHandler, SmtpServer

SENDER = f"contract@{PLATFORM_DOMAIN}"


@dataclass
class Harness:
    """A transport under test and a way to read what its service accepted."""

    transport: Callable[[], Transport]
    refusing: Callable[[], Transport]  # its service refuses SENDER
    unreachable: Callable[[], Transport]
    delivered: Callable[[], list[tuple[str, list[str]]]]


def smtp_harness(pki: Pki, stack: ExitStack) -> Harness:
    server = stack.enter_context(SmtpServer(pki, security="starttls", credentials=("u", "p")))
    refusing = stack.enter_context(
        SmtpServer(pki, security="ssl", handler=ScriptedHandler(replies={"MAIL": "550 5.7.1 No"}))
    )
    context = build_tls_context(extra_ca_files=(pki.ca_file,))

    def make(endpoint_server: SmtpServer | None, port: int | None = None) -> SmtpTransport:
        source = endpoint_server or server
        endpoint = source.endpoint(
            username="u" if source is server else None, password="p" if source is server else None
        )
        if port is not None:
            endpoint = type(endpoint)("127.0.0.1", port, "ssl")
        return SmtpTransport(
            endpoint,
            tls_context=context,
            allow_private=True,
            connect_timeout=3,
            timeout=5,
            ehlo_name="gatehouse.test",
        )

    return Harness(
        transport=lambda: make(None),
        refusing=lambda: make(refusing),
        unreachable=lambda: make(None, port=free_port()),
        delivered=lambda: [(m.mail_from, list(m.rcpt_tos)) for m in server.handler.messages],
    )


def ses_harness(moto: MotoSes) -> Harness:
    moto.reset()

    def make(endpoint_url: str) -> SesTransport:
        settings = Settings(
            _env_file=None,
            ses_region=REGION,
            ses_endpoint_url=endpoint_url,
            ses_default_domain=PLATFORM_DOMAIN,
        )
        return SesTransport(SesClient(settings))

    def refusing() -> SesTransport:
        moto.client().delete_email_identity(EmailIdentity=PLATFORM_DOMAIN)
        return make(moto.url)

    return Harness(
        transport=lambda: make(moto.url),
        refusing=refusing,
        unreachable=lambda: make(f"http://127.0.0.1:{free_port()}"),
        delivered=lambda: [
            (str(m["source"]), list(dict.fromkeys(m["destinations"]))) for m in moto.sent()
        ],
    )


@pytest.fixture(params=["smtp", "ses"])
def harness(
    request: pytest.FixtureRequest, tmp_path: object, moto_ses: MotoSes
) -> Iterator[Harness]:
    with ExitStack() as stack:
        if request.param == "smtp":
            yield smtp_harness(Pki(tmp_path), stack)  # type: ignore[arg-type]
        else:
            yield ses_harness(moto_ses)
    moto_ses.reset()


def message(to: str) -> bytes:
    return build_message(
        TemplateText("Contract", "text", "<p>html</p>"),
        sender_email=SENDER,
        sender_name="",
        recipient=to,
        reply_to=None,
        message_id="0" * 32,
    )


async def test_delivers_with_envelope(harness: Harness) -> None:
    """send() delivers to the service with the given envelope sender and recipients."""
    transport = harness.transport()
    reply = await transport.send(message("a@x.test"), sender=SENDER, recipients=["a@x.test"])
    await transport.send(message("b@x.test"), sender=SENDER, recipients=["b@x.test"])
    await transport.close()
    assert reply
    assert harness.delivered() == [(SENDER, ["a@x.test"]), (SENDER, ["b@x.test"])]


async def test_refusal_is_permanent(harness: Harness) -> None:
    """A service that refuses the sender raises PermanentDeliveryError (not retryable)."""
    transport = harness.refusing()
    with pytest.raises(PermanentDeliveryError) as error:
        await transport.send(message("a@x.test"), sender=SENDER, recipients=["a@x.test"])
    await transport.close()
    assert error.value.retryable is False and error.value.message


async def test_unreachable_service_is_transient(harness: Harness) -> None:
    """A service nobody answers for raises TransientDeliveryError (retry later)."""
    transport = harness.unreachable()
    with pytest.raises(TransientDeliveryError) as error:
        await transport.send(message("a@x.test"), sender=SENDER, recipients=["a@x.test"])
    assert error.value.retryable is True


async def test_close_is_safe_and_transport_reusable(harness: Harness) -> None:
    """close() twice is harmless, and the transport sends again afterwards."""
    transport = harness.transport()
    await transport.close()
    await transport.close()
    await transport.send(message("c@x.test"), sender=SENDER, recipients=["c@x.test"])
    await transport.close()
    assert harness.delivered() == [(SENDER, ["c@x.test"])]


async def test_smtp_server_receives_the_message_byte_for_byte(tmp_path: Path) -> None:
    """Lines that start with a dot (or two), and a message without a final line end, arrive at a
    real server exactly as built: the transport dot-stuffs them, the server removes it."""
    pki = Pki(tmp_path)
    bodies = [
        message("a@x.test"),
        b"Subject: dots\r\n\r\n.one\r\n..two\r\nthree.\r\n.",
    ]
    with SmtpServer(pki, security="starttls", credentials=("u", "p")) as server:
        transport = SmtpTransport(
            server.endpoint(username="u", password="p"),
            tls_context=build_tls_context(extra_ca_files=(pki.ca_file,)),
            allow_private=True,
            connect_timeout=3,
            timeout=5,
            ehlo_name="gatehouse.test",
        )
        for body in bodies:
            await transport.send(body, sender=SENDER, recipients=["a@x.test"])
        await transport.close()
        received = [m.raw for m in server.handler.messages]
    assert received == [bodies[0], bodies[1] + b"\r\n"]
