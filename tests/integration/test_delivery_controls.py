"""Connections and limits: per-tenant connection lanes, the rate limit across workers, and a
configuration change retiring the old connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from gatehouse.db.base import utcnow
from gatehouse.mail import config as mail_config
from gatehouse.mail.models import DeliveryAttempt, MailServerConfig, OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.mail.worker import Worker
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from tests.support.delivery import store_custom_server
from tests.support.smtp_servers import Pki, RecordingHandler, SmtpServer


class PeerRecordingHandler(RecordingHandler):
    """Also records which client connection (peer address) carried each message."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def server(pki: Pki) -> Iterator[SmtpServer]:
    with SmtpServer(pki, security="ssl", handler=PeerRecordingHandler()) as smtp:
        yield smtp


@pytest.fixture
async def runtime(clean_db: Settings, pki: Pki) -> AsyncIterator[Runtime]:
    settings = clean_db.model_copy(update={"dev": False, "default_smtp_url": ""})
    runtime = build_runtime(settings, extra_ca_files=(pki.ca_file,))
    yield runtime
    await runtime.close()


async def custom_tenant(
    runtime: Runtime, tenant_id: str, server: SmtpServer, *, rate_limit: int | None = None
) -> None:
    """A tenant whose custom server is ``server`` (stored directly: probing is tested elsewhere)."""
    async with runtime.sessions.begin() as session:
        await onboard_tenant(
            session,
            settings=runtime.settings,
            display_name=tenant_id,
            admin_email=f"a@{tenant_id}.test",
            tenant_id=tenant_id,
            admin_password="Admin-Pass-1",
        )
    await store_custom_server(
        runtime,
        tenant_id=tenant_id,
        port=server.port,
        sender_email=f"mail@{tenant_id}.test",
        rate_limit=rate_limit,
    )


async def queue(runtime: Runtime, tenant_id: str, count: int) -> None:
    async with runtime.sessions.begin() as session:
        for n in range(count):
            await enqueue(
                session,
                tenant_id=tenant_id,
                process="test-email",
                recipient=f"u{n}@{tenant_id}.test",
                context={"user": {"sp_name": tenant_id, "ids_home_link": "x"}},
            )


async def drain(worker: Worker) -> None:
    while await worker.run_once():
        pass


async def test_one_tenant_uses_at_most_two_connections(
    runtime: Runtime, server: SmtpServer
) -> None:
    """Twenty messages of one tenant leave over exactly two reused connections (the default cap)."""
    await custom_tenant(runtime, "acme", server)
    await queue(runtime, "acme", 20)
    worker = Worker(runtime)
    await drain(worker)
    await worker.close()
    handler = server.handler
    assert isinstance(handler, PeerRecordingHandler)
    assert len(handler.messages) == 20
    assert len(set(handler.peers)) == 2


async def test_rate_limit_holds_across_two_workers(runtime: Runtime, server: SmtpServer) -> None:
    """With a limit of 30 per minute, two workers together start exactly 30 of 45 messages."""
    await custom_tenant(runtime, "acme", server, rate_limit=30)
    await queue(runtime, "acme", 45)
    first, second = Worker(runtime), Worker(runtime)
    await asyncio.gather(drain(first), drain(second))
    await asyncio.gather(first.close(), second.close())
    assert len(server.handler.messages) == 30
    async with runtime.sessions() as session:
        waiting = await session.scalar(select(func.count()).where(OutboxMessage.status == "queued"))
    assert waiting == 15
    # A minute later (attempts moved back in time) the rest may go.
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(DeliveryAttempt).values(started_at=utcnow() - timedelta(seconds=61))
        )
    worker = Worker(runtime)
    await drain(worker)
    await worker.close()
    assert len(server.handler.messages) == 45


async def test_rate_limited_tenant_does_not_starve_others(
    runtime: Runtime, server: SmtpServer
) -> None:
    """A throttled tenant's backlog does not keep another tenant's mail waiting."""
    await custom_tenant(runtime, "slow", server, rate_limit=30)
    await custom_tenant(runtime, "fast", server)
    await queue(runtime, "slow", 80)
    await queue(runtime, "fast", 5)
    worker = Worker(runtime)
    await drain(worker)
    await worker.close()
    recipients = [r for m in server.handler.messages for r in m.rcpt_tos]
    assert sum(r.endswith("@fast.test") for r in recipients) == 5
    assert sum(r.endswith("@slow.test") for r in recipients) == 30


async def test_configuration_change_retires_old_connection(
    runtime: Runtime, server: SmtpServer, pki: Pki
) -> None:
    """After the tenant points at another server, the next message goes there, not the old one."""
    await custom_tenant(runtime, "acme", server)
    await queue(runtime, "acme", 1)
    worker = Worker(runtime)
    await worker.run_once()
    with SmtpServer(pki, security="ssl") as other:
        async with runtime.sessions.begin() as session:
            config = await session.get(MailServerConfig, "acme")
            assert config is not None
            wanted = mail_config.validate_custom(
                {
                    "host": "localhost",
                    "port": str(other.port),
                    "security": "ssl",
                    "authentication": "none",
                    "sender_email": "new@acme.test",
                }
            )
            await mail_config.store_custom(
                session,
                tenant_id="acme",
                actor="test",
                wanted=wanted,
                password=None,
                box=runtime.secret_box,
            )
        await queue(runtime, "acme", 1)
        await worker.run_once()
        await worker.close()
        assert [m.mail_from for m in other.handler.messages] == ["new@acme.test"]
    assert len(server.handler.messages) == 1
