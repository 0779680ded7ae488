"""SMTP transport: one reused, verified TLS connection per endpoint (opened on first use,
reopened after the server drops it)."""

from __future__ import annotations

import asyncio
import re
import ssl

import aiosmtplib
from aiosmtplib import SMTPResponse, SMTPStatus

from gatehouse.errors import DeliveryError, PermanentDeliveryError
from gatehouse.mail.connect import open_smtp
from gatehouse.mail.diagnosis import diagnose, smtputf8_missing
from gatehouse.mail.endpoint import SmtpEndpoint
from gatehouse.mail.transports.base import check_send_deadline


class SmtpTransport:
    kind = "smtp"

    def __init__(
        self,
        endpoint: SmtpEndpoint,
        *,
        tls_context: ssl.SSLContext,
        allow_private: bool,
        connect_timeout: float,
        timeout: float,
        ehlo_name: str,
    ) -> None:
        self.endpoint = endpoint
        self._ehlo_name = ehlo_name
        self._tls_context = tls_context
        self._allow_private = allow_private
        self._connect_timeout = connect_timeout
        self._timeout = timeout
        self._connection: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()  # one SMTP transaction at a time on the connection
        self._users = 0

    @property
    def server(self) -> str:
        return self.endpoint.described

    @property
    def in_use(self) -> bool:
        return self._users > 0

    async def send(self, message: bytes, *, sender: str, recipients: list[str]) -> str:
        self._users += 1  # sending, or waiting for the connection
        try:
            return await self._send(message, sender, recipients)
        finally:
            self._users -= 1

    async def _send(self, message: bytes, sender: str, recipients: list[str]) -> str:
        async with self._lock:
            reused = self._connection is not None and self._connection.is_connected
            try:
                return await self._transaction(message, sender, recipients)
            except _Dropped as dropped:
                if not (reused and dropped.step == "mail"):
                    raise dropped.diagnosis(self.endpoint) from dropped.cause
            # The server closed the idle connection we were reusing before it saw anything of
            # this message: one fresh connection is not a retry, and cannot duplicate it.
            try:
                return await self._transaction(message, sender, recipients)
            except _Dropped as dropped:
                raise dropped.diagnosis(self.endpoint) from dropped.cause

    async def _transaction(self, message: bytes, sender: str, recipients: list[str]) -> str:
        """MAIL, RCPT, DATA one by one, so a failure names the step it happened in."""
        # After waiting for the connection, and before opening a new one (its login counts at
        # the provider): nothing is sent yet.
        check_send_deadline()
        connection = await self._connect()
        check_send_deadline()
        step = "mail"
        try:
            utf8 = _needs_smtputf8(connection, message, sender, recipients)
            options = b" SMTPUTF8" if utf8 else b""
            # Every address checked before the first command: no transaction left half open.
            mail_from = _envelope(sender, utf8, "mail")
            rcpt_to = [_envelope(recipient, utf8, "rcpt") for recipient in recipients]
            async with asyncio.timeout(self._timeout * _SLACK) as deadline:
                talk = _Exchanges(connection, deadline, self._timeout)
                reply = await talk.command(b"MAIL FROM:" + mail_from + options)
                if reply.code != SMTPStatus.completed:
                    raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)
                step = "rcpt"
                for recipient, address in zip(recipients, rcpt_to, strict=True):
                    reply = await talk.command(b"RCPT TO:" + address)
                    if reply.code not in (SMTPStatus.completed, SMTPStatus.will_forward):
                        raise aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient)
                step = "data"
                reply = await talk.command(b"DATA")
                if reply.code != SMTPStatus.start_input:
                    raise aiosmtplib.SMTPDataError(reply.code, reply.message)
                reply = await talk.write(data_block(message))
                if reply.code != SMTPStatus.completed:
                    raise aiosmtplib.SMTPDataError(reply.code, reply.message)
        except aiosmtplib.SMTPServerDisconnected as exc:
            await self._drop()
            raise _Dropped(step, exc) from exc
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
            await self._drop()
            raise diagnose(exc, step=step, endpoint=self.endpoint) from exc
        return f"{reply.code} {reply.message}"

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._connection is None or not self._connection.is_connected:
            self._connection = await open_smtp(
                self.endpoint,
                tls_context=self._tls_context,
                allow_private=self._allow_private,
                connect_timeout=self._connect_timeout,
                timeout=self._timeout,
                local_hostname=self._ehlo_name,
            )
        return self._connection

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def close(self) -> None:
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None and connection.is_connected:
                try:
                    await connection.quit()
                except (aiosmtplib.SMTPException, OSError):
                    connection.close()


_SLACK = 1.5


def transaction_seconds(timeout: float) -> float:
    """The longest a transaction (MAIL to the end of DATA) takes on a connection already open:
    replies that never come are given up on after ``timeout`` each, 1.5 times it in all."""
    return timeout * _SLACK


class _Exchanges:
    """The commands and replies of one transaction, written on aiosmtplib's protocol directly:
    SMTP.mail() and rcpt() parse each address again, and data() rewrites every line end of a
    message already built with CRLF; together they cost more than the exchange itself. Our
    transport's lock keeps one exchange at a time on the connection (aiosmtplib's command
    lock would), and any error drops the connection."""

    def __init__(self, connection: aiosmtplib.SMTP, deadline: asyncio.Timeout, timeout: float):
        self._protocol = connection.protocol
        self._deadline, self._timeout = deadline, timeout
        self._loop = asyncio.get_running_loop()  # once: each lookup costs a getpid() call

    async def command(self, command: bytes) -> SMTPResponse:
        return await self.write(command + b"\r\n")

    async def write(self, data: bytes) -> SMTPResponse:
        """``data`` written and the reply read within the timeout. The transaction has one
        deadline, moved only when less than the timeout is left, so a reply that never comes
        times out after between one and ``_SLACK`` timeouts: re-arming a timer for every
        command cost as much as parsing its reply."""
        if self._protocol is None or not self._protocol.is_connected:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        now, deadline = self._loop.time(), self._deadline.when()
        if deadline is not None and deadline < now + self._timeout:
            self._deadline.reschedule(now + self._timeout * _SLACK)
        self._protocol.write(data)
        return await self._protocol.read_response(timeout=None)


class _Dropped(Exception):
    """The server closed the connection during ``step``."""

    def __init__(self, step: str, cause: aiosmtplib.SMTPServerDisconnected) -> None:
        super().__init__(step)
        self.step, self.cause = step, cause

    def diagnosis(self, endpoint: SmtpEndpoint) -> DeliveryError:
        return diagnose(self.cause, step=self.step, endpoint=endpoint)


def _needs_smtputf8(
    connection: aiosmtplib.SMTP, message: bytes, sender: str, recipients: list[str]
) -> bool:
    """Messages are 7-bit except where an address is not ASCII, which needs the server's
    SMTPUTF8 (refused before anything is sent if it has none, naming the address)."""
    if message.isascii() and (sender + "".join(recipients)).isascii():
        return False
    if not connection.supports_extension("smtputf8"):
        if not sender.isascii():
            raise smtputf8_missing(sender, "mail")
        recipient = next((r for r in recipients if not r.isascii()), None)
        # No envelope address: the Reply-To is the header's only other address.
        raise smtputf8_missing(recipient, "rcpt" if recipient else "data")
    return True


def _envelope(address: str, utf8: bool, step: str) -> bytes:
    """``<address>`` for MAIL FROM or RCPT TO. Addresses are validated when stored; this keeps
    a bad one from ever becoming a second command."""
    if not address or any(c in "<> \x7f" or c < " " for c in address):  # no control characters
        raise PermanentDeliveryError(step, f"The address {address!r} cannot be used.")
    return b"<" + address.encode("utf-8" if utf8 else "ascii") + b">"


def data_block(message: bytes) -> bytes:
    """``message`` as the DATA payload: dot-stuffed (RFC 5321 4.5.2) and ended by CRLF.CRLF.
    Messages are built with CRLF line ends (``mail.mime``); any other line end is made CRLF
    first, since a bare LF would hide a line's leading dot from the stuffing."""
    crlf = message.count(b"\r\n")
    if message.count(b"\r") != crlf or message.count(b"\n") != crlf:
        message = _LINE_END.sub(b"\r\n", message)
    if message.startswith(b"."):
        message = b"." + message
    message = message.replace(b"\r\n.", b"\r\n..")
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message + b".\r\n"


_LINE_END = re.compile(rb"\r\n|\r|\n")
