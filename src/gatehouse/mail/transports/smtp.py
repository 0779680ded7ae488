"""SMTP transport: one reused, verified TLS connection per endpoint (opened on first use,
reopened after the server drops it)."""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage

import aiosmtplib

from gatehouse.mail.connect import open_smtp
from gatehouse.mail.diagnosis import diagnose
from gatehouse.mail.endpoint import SmtpEndpoint


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
    ) -> None:
        self.endpoint = endpoint
        self._tls_context = tls_context
        self._allow_private = allow_private
        self._connect_timeout = connect_timeout
        self._timeout = timeout
        self._connection: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()  # one SMTP transaction at a time on the connection

    @property
    def server(self) -> str:
        return f"{self.endpoint.label} ({self.endpoint.security})"

    async def send(self, message: EmailMessage, *, sender: str, recipients: list[str]) -> str:
        async with self._lock:
            reused = self._connection is not None and self._connection.is_connected
            try:
                return await self._send_once(message, sender, recipients)
            except aiosmtplib.SMTPServerDisconnected as exc:
                await self._drop()
                if not reused:
                    raise diagnose(exc, step="mail", endpoint=self.endpoint) from exc
            # The server closed an idle connection we were reusing: one fresh try is not a retry.
            try:
                return await self._send_once(message, sender, recipients)
            except aiosmtplib.SMTPServerDisconnected as exc:
                await self._drop()
                raise diagnose(exc, step="mail", endpoint=self.endpoint) from exc

    async def _send_once(self, message: EmailMessage, sender: str, recipients: list[str]) -> str:
        connection = await self._connect()
        try:
            _refused, reply = await connection.send_message(
                message, sender=sender, recipients=recipients
            )
        except aiosmtplib.SMTPServerDisconnected:
            raise
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
            await self._drop()
            raise diagnose(exc, step="mail", endpoint=self.endpoint) from exc
        return reply

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._connection is None or not self._connection.is_connected:
            self._connection = await open_smtp(
                self.endpoint,
                tls_context=self._tls_context,
                allow_private=self._allow_private,
                connect_timeout=self._connect_timeout,
                timeout=self._timeout,
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
