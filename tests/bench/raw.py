"""The baseline: raw aiosmtplib over reused STARTTLS + AUTH connections, no database, sending
the very MIME message our worker would build (same template, same size), already in its wire
form: ``sendmail`` with the bytes, aiosmtplib's fastest path."""

from __future__ import annotations

import asyncio
import ssl
import time

import aiosmtplib

from gatehouse.mail.mime import build_message
from gatehouse.mail.templates.render import find_template, render
from tests.bench.common import CONTEXT
from tests.bench.sink import SINK_HOST

SENDER = "no-reply@bench.test"


def sample_message() -> bytes:
    """The test e-mail exactly as the dispatcher renders and builds it (its wire form)."""
    rendered = render(find_template("test-email", "en"), CONTEXT)
    return build_message(
        rendered,
        sender_email=SENDER,
        sender_name="Bench",
        recipient="r0@sink.test",
        reply_to=None,
        message_id="0" * 32,
    )


async def _one_connection(
    port: int, context: ssl.SSLContext, login: tuple[str, str], message: bytes, count: int
) -> None:
    smtp = aiosmtplib.SMTP(
        hostname=SINK_HOST,
        port=port,
        start_tls=True,
        validate_certs=True,
        tls_context=context,
        timeout=30,
    )
    await smtp.connect()
    await smtp.login(*login)
    for n in range(count):
        await smtp.sendmail(SENDER, [f"raw{n}@sink.test"], message)
    await smtp.quit()


async def raw_seconds(
    port: int,
    context: ssl.SSLContext,
    login: tuple[str, str],
    *,
    count: int,
    connections: int,
) -> float:
    """Seconds to send ``count`` messages over ``connections`` concurrent connections (each
    opened once, STARTTLS and login included)."""
    message = sample_message()
    share, extra = divmod(count, connections)
    shares = [share + (1 if n < extra else 0) for n in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(
        *(_one_connection(port, context, login, message, share) for share in shares)
    )
    return time.perf_counter() - started
