"""The staged connection check run before a tenant's mail server configuration is stored.

DNS (netguard) -> TCP to the checked address -> TLS (implicit, or EHLO then STARTTLS that must
succeed) with chain and host name verification -> EHLO -> AUTH (with a user name) -> optionally
MAIL FROM the configured sender (then RSET) -> QUIT. The first failure is raised as the
diagnosed DeliveryError naming its step; success returns the steps passed."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass

import aiosmtplib

from gatehouse.errors import DeliveryError
from gatehouse.mail.addresses import wire_address
from gatehouse.mail.connect import StageLog, open_smtp
from gatehouse.mail.diagnosis import diagnose, smtputf8_missing
from gatehouse.mail.endpoint import SmtpEndpoint

PROBE_PASSED = "The mail server {label} passed every check ({steps}) using {tls_version}."


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """A successful probe: where it connected and which steps passed, in order."""

    label: str
    address: str
    tls_version: str
    steps: tuple[str, ...]

    @property
    def message(self) -> str:
        steps = ", ".join(self.steps)
        return PROBE_PASSED.format(label=self.label, steps=steps, tls_version=self.tls_version)


async def _check_sender(smtp: aiosmtplib.SMTP, sender: str, log: StageLog) -> None:
    """MAIL FROM the sender, then RSET: finds servers that need a login or refuse the sender.
    The sender is sent as every e-mail will send it: a non-ASCII domain in A-labels, and a
    non-ASCII local part with SMTPUTF8, which the server must then offer."""
    log.begin("mail")
    sender = wire_address(sender)  # as every e-mail will send it
    options: list[str] = []
    if not sender.isascii():
        if not smtp.supports_extension("smtputf8"):
            raise smtputf8_missing(sender, "mail")
        options.append("SMTPUTF8")
    await smtp.mail(sender, options=options, encoding="utf-8")
    await smtp.rset()
    log.done()


async def _quit(smtp: aiosmtplib.SMTP, log: StageLog) -> None:
    # Every check has passed by now; a server that fumbles QUIT still works for sending.
    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
        await smtp.quit()
        log.done("quit")


async def _run(
    endpoint: SmtpEndpoint,
    *,
    tls_context: ssl.SSLContext,
    allow_private: bool,
    connect_timeout: float,
    sender: str | None,
    local_hostname: str | None,
    log: StageLog,
) -> ProbeReport:
    smtp = await open_smtp(
        endpoint,
        tls_context=tls_context,
        allow_private=allow_private,
        connect_timeout=connect_timeout,
        timeout=connect_timeout,
        local_hostname=local_hostname,
        log=log,
    )
    try:
        address = str(smtp.get_transport_info("peername")[0])
        tls_version = str(smtp.get_transport_info("ssl_object").version())
        if sender:
            await _check_sender(smtp, sender, log)
        await _quit(smtp, log)
    except DeliveryError:
        raise
    except Exception as exc:
        raise diagnose(exc, step=log.current, endpoint=endpoint) from exc
    finally:
        smtp.close()
    return ProbeReport(endpoint.label, address, tls_version, tuple(log.passed))


async def probe_smtp(
    endpoint: SmtpEndpoint,
    *,
    tls_context: ssl.SSLContext,
    allow_private: bool,
    connect_timeout: float = 10.0,
    overall_timeout: float = 30.0,
    sender: str | None = None,
    local_hostname: str | None = None,
) -> ProbeReport:
    """Check ``endpoint`` stage by stage; raise the diagnosed DeliveryError of the first failure.

    ``connect_timeout`` bounds each network step; ``overall_timeout`` bounds the whole probe.
    With ``sender``, the probe also checks that the server accepts it in MAIL FROM."""
    log = StageLog()
    try:
        async with asyncio.timeout(overall_timeout):
            return await _run(
                endpoint,
                tls_context=tls_context,
                allow_private=allow_private,
                connect_timeout=connect_timeout,
                sender=sender,
                local_hostname=local_hostname,
                log=log,
            )
    except TimeoutError as exc:  # only the overall deadline gets here; the rest is diagnosed
        raise diagnose(exc, step=log.current, endpoint=endpoint) from exc
