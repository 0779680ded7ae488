"""Open a verified, authenticated SMTP session to a tenant's endpoint, stage by stage.

The host is resolved once (netguard) and the TCP socket is connected to that checked address;
aiosmtplib then gets the connected socket plus the ORIGINAL host name, so the certificate's chain
and host name are verified against the name the tenant typed, never against the IP address.
TLS is implicit (``ssl``) or STARTTLS that must succeed (``starttls``); there is no plaintext path.
Every failure leaves as the diagnosed DeliveryError of the stage it happened in."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field

import aiosmtplib

from gatehouse.errors import DeliveryError
from gatehouse.mail.diagnosis import diagnose, exception_chain
from gatehouse.mail.endpoint import SmtpEndpoint
from gatehouse.mail.netguard import resolve_mail_addresses


@dataclass(slots=True)
class StageLog:
    """The stage running now and the stages passed so far (the probe reports them)."""

    current: str = "dns"
    passed: list[str] = field(default_factory=list)

    def begin(self, step: str) -> None:
        self.current = step

    def done(self, *steps: str) -> None:
        self.passed += [s for s in steps or (self.current,) if s not in self.passed]


async def connect_socket(address: str, port: int, *, connect_timeout: float) -> socket.socket:
    """A non-blocking TCP socket connected to ``address`` (an IP address, never a name)."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        async with asyncio.timeout(connect_timeout):
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
    except BaseException:
        sock.close()
        raise
    return sock


async def _connect_first(
    addresses: list[str], endpoint: SmtpEndpoint, *, connect_timeout: float
) -> tuple[str, socket.socket]:
    """Connect to the first checked address that answers (a name may have IPv6 and IPv4
    addresses, and only one of them may be reachable); diagnose the last failure."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return address, await connect_socket(
                address, endpoint.port, connect_timeout=connect_timeout
            )
        except OSError as exc:  # refused, unreachable, timed out
            failure = exc
    assert failure is not None  # resolve_mail_addresses never returns an empty list
    raise diagnose(failure, step="connect", endpoint=endpoint) from failure


def _client(
    endpoint: SmtpEndpoint,
    sock: socket.socket,
    *,
    tls_context: ssl.SSLContext,
    command_timeout: float,
    local_hostname: str | None,
) -> aiosmtplib.SMTP:
    # start_tls=False: aiosmtplib's default (None) is opportunistic; STARTTLS is issued below
    # explicitly, and its failure is an error.
    return aiosmtplib.SMTP(
        hostname=endpoint.host,
        sock=sock,
        use_tls=endpoint.security == "ssl",
        start_tls=False,
        validate_certs=True,
        tls_context=tls_context,
        timeout=command_timeout,
        local_hostname=local_hostname,
    )


async def _start_session(
    smtp: aiosmtplib.SMTP, endpoint: SmtpEndpoint, *, connect_timeout: float, log: StageLog
) -> None:
    """Greeting, TLS (implicit or STARTTLS), EHLO and, with a user name, AUTH."""
    if endpoint.security == "ssl":
        log.begin("tls")
        await smtp.connect(timeout=connect_timeout)  # TLS handshake, then the greeting
        log.done()
    else:
        await smtp.connect(timeout=connect_timeout)  # the plaintext greeting
        log.done("connect")
        # STARTTLS is offered in the EHLO reply; sent here, not inside starttls(), so a server
        # that never answers it is reported at EHLO. Passed only with the EHLO after TLS.
        log.begin("ehlo")
        await smtp.ehlo()
        log.begin("starttls")
        await smtp.starttls()  # raises when STARTTLS is not offered: never fall back
        log.done("starttls", "tls")
    log.begin("ehlo")
    await smtp.ehlo()
    log.done()
    if endpoint.username:
        log.begin("auth")
        await _login(smtp, endpoint.username, endpoint.password or "")
        log.done()


# Replies meaning "not this method" (unsupported, too weak, malformed for this server): the
# next method offered is tried. Any other refusal judged the credentials, or is temporary.
_TRY_NEXT_METHOD = frozenset({500, 501, 502, 504, 534})


async def _login(smtp: aiosmtplib.SMTP, username: str, password: str) -> None:
    """AUTH with the methods both sides speak, in aiosmtplib's order of preference, stopping
    at the first refusal of the credentials: SMTP.login() tries every method after a 535, and
    each refused login counts at the provider towards locking the mailbox or banning the
    platform's address. The SMTPExceptions say what SMTP.login() says (diagnosis reads them)."""
    if not smtp.supports_extension("auth"):
        raise aiosmtplib.SMTPException("The SMTP AUTH extension is not supported by this server.")
    refused: aiosmtplib.SMTPAuthenticationError | None = None
    for method in smtp.supported_auth_methods:
        try:
            await getattr(smtp, f"auth_{method.replace('-', '')}")(username, password)
            return
        except aiosmtplib.SMTPAuthenticationError as exc:
            if exc.code not in _TRY_NEXT_METHOD:
                raise
            refused = exc
    raise refused or aiosmtplib.SMTPException("No suitable authentication method found.")


async def fetch_peer_certificate(
    endpoint: SmtpEndpoint, address: str, *, connect_timeout: float
) -> bytes | None:
    """The server's certificate (DER), read WITHOUT verifying it, only to explain why it was
    rejected. Nothing but EHLO/STARTTLS is sent and the connection is dropped at once."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # diagnosis only: no credentials or mail on this link
    try:
        async with asyncio.timeout(connect_timeout):
            sock = await connect_socket(address, endpoint.port, connect_timeout=connect_timeout)
            smtp = aiosmtplib.SMTP(
                hostname=endpoint.host,
                sock=sock,
                use_tls=endpoint.security == "ssl",
                start_tls=False,
                tls_context=context,
                timeout=connect_timeout,
            )
            try:
                await smtp.connect()
                if endpoint.security == "starttls":
                    await smtp.starttls()
                der: bytes | None = smtp.get_transport_info("ssl_object").getpeercert(True)
                return der
            finally:
                smtp.close()  # the transport owns the socket now and closes it
    except (OSError, aiosmtplib.SMTPException, ValueError, AttributeError):
        return None


def _is_certificate_error(exc: BaseException) -> bool:
    return any(isinstance(e, ssl.SSLCertVerificationError) for e in exception_chain(exc))


async def _diagnosed(
    exc: Exception, endpoint: SmtpEndpoint, address: str, *, step: str, connect_timeout: float
) -> DeliveryError:
    peer_cert = None
    if _is_certificate_error(exc):
        peer_cert = await fetch_peer_certificate(endpoint, address, connect_timeout=connect_timeout)
    return diagnose(exc, step=step, endpoint=endpoint, peer_cert=peer_cert)


async def open_smtp(
    endpoint: SmtpEndpoint,
    *,
    tls_context: ssl.SSLContext,
    allow_private: bool,
    connect_timeout: float = 10.0,
    timeout: float = 30.0,  # noqa: ASYNC109 - aiosmtplib's per-command timeout, not a deadline
    local_hostname: str | None = None,
    log: StageLog | None = None,
) -> aiosmtplib.SMTP:
    """A connected aiosmtplib.SMTP, TLS verified against ``endpoint.host``, EHLO done and logged
    in when ``endpoint.username`` is set. The caller sends, then calls ``quit()``/``close()``.

    Raises the diagnosed DeliveryError of the failed stage (``.step``)."""
    log = log if log is not None else StageLog()
    addresses = await resolve_mail_addresses(
        endpoint.host, endpoint.port, allow_private=allow_private, dns_timeout=connect_timeout
    )
    log.done("dns")
    log.begin("connect")
    address, sock = await _connect_first(addresses, endpoint, connect_timeout=connect_timeout)
    if endpoint.security == "ssl":
        log.done()
    smtp = _client(
        endpoint,
        sock,
        tls_context=tls_context,
        command_timeout=timeout,
        local_hostname=local_hostname,
    )
    try:
        await _start_session(smtp, endpoint, connect_timeout=connect_timeout, log=log)
    except BaseException as exc:
        # Not sock.close(): the transport owns the socket and may still be using its fd.
        smtp.close()
        if not isinstance(exc, Exception) or isinstance(exc, DeliveryError):
            raise
        step = log.current
        raise await _diagnosed(
            exc, endpoint, address, step=step, connect_timeout=connect_timeout
        ) from exc
    return smtp
