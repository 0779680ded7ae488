"""Keeps one transport per route key, so connections are reused across messages, and closes
the transports of routes that changed."""

from __future__ import annotations

import ssl

from gatehouse.mail.routing import Route
from gatehouse.mail.transports.smtp import SmtpTransport
from gatehouse.settings import Settings


class TransportPool:
    def __init__(self, settings: Settings, tls_context: ssl.SSLContext) -> None:
        self._settings = settings
        self._tls_context = tls_context
        self._transports: dict[str, SmtpTransport] = {}

    def get(self, route: Route) -> SmtpTransport:
        transport = self._transports.get(route.key)
        if transport is None:
            transport = SmtpTransport(
                route.endpoint,
                tls_context=self._tls_context,
                allow_private=route.allow_private or self._settings.allow_private_mail_hosts,
                connect_timeout=self._settings.smtp_connect_timeout,
                timeout=self._settings.smtp_timeout,
            )
            self._transports[route.key] = transport
        return transport

    def describe(self, route: Route) -> str:
        return f"{route.endpoint.label} ({route.endpoint.security})"

    async def close(self) -> None:
        transports, self._transports = self._transports, {}
        for transport in transports.values():
            await transport.close()
