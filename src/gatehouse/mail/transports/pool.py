"""Keeps one transport per route owner (the platform default, or one tenant), so connections
are reused across messages; when an owner's route changes (a new configuration version), the
old transport is closed and the next message uses the new one."""

from __future__ import annotations

import asyncio
import ssl
import time

from gatehouse.mail.routing import DEFAULT_OWNER, Route
from gatehouse.mail.ses_client import SesClient
from gatehouse.mail.transports.base import Transport
from gatehouse.mail.transports.ses import SesTransport
from gatehouse.mail.transports.smtp import SmtpTransport
from gatehouse.settings import Settings

IDLE_SECONDS = 60.0


class TransportPool:
    def __init__(self, settings: Settings, tls_context: ssl.SSLContext) -> None:
        self._settings = settings
        self._tls_context = tls_context
        # owner -> (key, transport), least recently used first
        self._transports: dict[str, tuple[str, Transport]] = {}
        self._last_used: dict[str, float] = {}
        self._retired: list[Transport] = []  # in use when retired: closed between batches
        self._closing: set[asyncio.Task[None]] = set()  # idle when retired: closing now
        self._ses: SesTransport | None = None  # one for the process: boto3 pools connections

    def get(self, route: Route, *, lane: int = 0, group: int = 0) -> Transport:
        """The transport of ``route`` for connection ``lane`` of a tenant; tenants on the shared
        default server are spread over its ``default_max_connections`` by ``group``."""
        settings = self._settings
        if route.kind == "ses":
            if self._ses is None:
                self._ses = SesTransport(SesClient(settings))
            return self._ses
        if route.endpoint is None:
            raise ValueError("an SMTP route needs an endpoint")
        owner = self.connection(route, lane=lane, group=group)
        self._last_used[owner] = time.monotonic()
        current = self._transports.pop(owner, None)
        if current is not None and current[0] == route.key:
            self._transports[owner] = current  # to the end: most recently used
            return current[1]
        if current is not None:
            self._retire(current[1])
        self._evict_beyond(settings.worker_max_connections - 1)
        transport = SmtpTransport(
            route.endpoint,
            tls_context=self._tls_context,
            allow_private=route.allow_private,
            connect_timeout=self._settings.smtp_connect_timeout,
            timeout=self._settings.smtp_timeout,
            ehlo_name=self._settings.ehlo_name(),
        )
        self._transports[owner] = (route.key, transport)
        return transport

    def connection(self, route: Route, *, lane: int = 0, group: int = 0) -> str:
        """Which connection of its owner ``route`` uses for ``lane`` (``group`` spreads the
        tenants sharing the platform default server over its connections)."""
        settings = self._settings
        if route.kind == "ses":
            return "ses"
        if route.owner == DEFAULT_OWNER:
            slot = group * settings.max_connections_per_tenant + lane
            slot %= settings.default_max_connections
        else:
            slot = lane % settings.max_connections_per_tenant
        return f"{route.owner}#{slot}"

    def release(self, owner: str) -> None:
        """Close the connections of ``owner`` (say ``tenant:acme``) that are not in use."""
        for key in [k for k in self._transports if k.rsplit("#", 1)[0] == owner]:
            if not self._transports[key][1].in_use:
                self._drop(key)

    def describe(self, route: Route) -> str:
        if route.endpoint is None:
            return f"Amazon SES {self._settings.ses_region}"
        return route.endpoint.described

    def _evict_beyond(self, size: int) -> None:
        """Retire the least recently used idle transports so at most ``size`` stay open: a
        worker serving thousands of tenants must not hold a connection (and a file) for each.
        One in use is never retired (its next message would open another connection); the
        worker runs at most WORKER_MAX_CONNECTIONS lanes at once, so enough are idle."""
        idle = [o for o, (_key, t) in self._transports.items() if not t.in_use]
        for owner in idle[: max(0, len(self._transports) - max(0, size))]:
            self._drop(owner)

    def _drop(self, owner: str) -> None:
        """Forget connection ``owner`` and retire its transport."""
        self._last_used.pop(owner, None)
        entry = self._transports.pop(owner, None)
        if entry is not None:
            self._retire(entry[1])

    def _retire(self, transport: Transport) -> None:
        """Close an idle transport at once (the cap counts open connections); one in use
        after its message, between batches."""
        if transport.in_use:
            self._retired.append(transport)
            return
        task = asyncio.create_task(transport.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close_idle(self) -> None:
        """Close connections unused for IDLE_SECONDS; servers drop idle clients anyway."""
        cutoff = time.monotonic() - IDLE_SECONDS
        for owner in [o for o, used in self._last_used.items() if used < cutoff]:
            self._drop(owner)
        await self.close_retired()

    async def close_retired(self) -> None:
        """Close connections of configurations that changed (called between batches)."""
        retired, self._retired = self._retired, []
        for transport in retired:
            await transport.close()

    async def close(self) -> None:
        await self.close_retired()
        if self._closing:
            await asyncio.gather(*self._closing)
        self._last_used.clear()
        transports, self._transports = self._transports, {}
        for _key, transport in transports.values():
            await transport.close()
