"""What the delivery tests share: runtimes on the clean test database with tenant ``acme`` (no
activation e-mail queued), workers closed afterwards, and reading messages and attempts back.

    setup = DeliverySetup(clean_db, pki)
    runtime = await setup.runtime(platform_url(server.port))
    worker = setup.worker(runtime)
    [message_id] = await queue(runtime, "u0@acme.test")
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from gatehouse.db.base import utcnow
from gatehouse.mail import config as mail_config
from gatehouse.mail.models import QUEUED, DeliveryAttempt, OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.mail.worker import Worker
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from tests.support.live import LiveServer
from tests.support.smtp_servers import Pki

PLATFORM_LOGIN = ("platform", "pl@tform")
PLATFORM_SENDER = "no-reply@platform.test"
CONTEXT = {"user": {"sp_name": "Acme", "ids_home_link": "http://acme.localhost/"}}


async def onboard_acme(runtime: Runtime) -> None:
    """Tenant ``acme`` and its administrator admin@acme.test, whose password is set (no
    activation e-mail in the queue)."""
    async with runtime.sessions.begin() as session:
        await onboard_tenant(
            session,
            settings=runtime.settings,
            display_name="Acme",
            admin_email="admin@acme.test",
            tenant_id="acme",
            admin_password="Acme-Admin-1",
        )


async def onboard(runtime: Runtime, tenant_id: str) -> None:
    """Tenant ``tenant_id`` with an active administrator a@<tenant_id>.test (so no activation
    e-mail is queued)."""
    async with runtime.sessions.begin() as session:
        await onboard_tenant(
            session,
            settings=runtime.settings,
            display_name=tenant_id.title(),
            admin_email=f"a@{tenant_id}.test",
            tenant_id=tenant_id,
            admin_password=f"{tenant_id.title()}-Admin-1",
        )


class DeliverySetup:
    """Builds runtimes on the clean test database, and the workers that deliver with them."""

    def __init__(self, settings: Settings, pki: Pki) -> None:
        self.settings = settings
        self.pki = pki
        self.runtimes: list[Runtime] = []
        self.workers: list[Worker] = []

    async def runtime(self, default_smtp_url: str, **overrides: Any) -> Runtime:
        settings = self.settings.model_copy(
            update={
                "default_smtp_url": default_smtp_url,
                "default_sender": f"Platform <{PLATFORM_SENDER}>",
                "allow_private_mail_hosts": True,  # tenant servers listen on 127.0.0.1 here
                "dev": False,
                **overrides,
            }
        )
        runtime = build_runtime(settings, extra_ca_files=(self.pki.ca_file,))
        self.runtimes.append(runtime)
        await onboard_acme(runtime)
        return runtime

    def worker(self, runtime: Runtime) -> Worker:
        worker = Worker(runtime)
        self.workers.append(worker)
        return worker

    async def close(self) -> None:
        for worker in self.workers:
            await worker.close()
        for runtime in self.runtimes:
            await runtime.close()


def platform_url(port: int) -> str:
    """The platform default server's URL, with its login."""
    user, password = PLATFORM_LOGIN
    return f"smtp://{user}:{password.replace('@', '%40')}@127.0.0.1:{port}"


async def queue(runtime: Runtime, *recipients: str) -> list[str]:
    """One test e-mail of tenant ``acme`` per recipient; their message IDs."""
    async with runtime.sessions.begin() as session:
        messages = [
            await enqueue(
                session,
                tenant_id="acme",
                process="test-email",
                recipient=recipient,
                context=CONTEXT,
            )
            for recipient in recipients
        ]
    return [message.id for message in messages]


async def load(runtime: Runtime, message_id: str) -> OutboxMessage:
    async with runtime.sessions() as session:
        message = await session.get(OutboxMessage, message_id)
    assert message is not None
    return message


async def attempts_of(runtime: Runtime, message_id: str) -> list[DeliveryAttempt]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id == message_id)
            .order_by(DeliveryAttempt.started_at)
        )
        return list(rows.all())


async def make_due(runtime: Runtime) -> None:
    """Bring every queued retry forward to now instead of waiting out its backoff."""
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == QUEUED)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def expire_leases(runtime: Runtime) -> None:
    """Make every lease run out now, as if its worker had taken longer than the lease."""
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending")
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )


async def store_custom_server(
    runtime: Runtime,
    *,
    tenant_id: str,
    port: int,
    sender_email: str,
    rate_limit: int | None = None,
) -> None:
    """``tenant_id``'s custom server: an SSL one on ``port`` of localhost without a login
    (stored directly: probing is tested elsewhere)."""
    wanted = mail_config.validate_custom(
        {
            "host": "localhost",
            "port": str(port),
            "security": "ssl",
            "authentication": "none",
            "sender_email": sender_email,
            "rate_limit_per_minute": str(rate_limit) if rate_limit else "",
        }
    )
    async with runtime.sessions.begin() as session:
        await mail_config.store_custom(
            session,
            tenant_id=tenant_id,
            actor="test",
            wanted=wanted,
            password=None,
            box=runtime.secret_box,
        )


def point_demo_at(live: LiveServer, port: int) -> None:
    """The live demo tenant's custom server: an SSL one on ``port`` of localhost."""
    live.run(
        lambda runtime: store_custom_server(
            runtime, tenant_id="demo", port=port, sender_email="it@demo.test"
        )
    )


def age_outbox(live: LiveServer, minutes: int) -> None:
    """Every e-mail in the live server's outbox queued ``minutes`` ago (an hourly limit's
    window passed)."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await session.execute(
                update(OutboxMessage).values(created_at=utcnow() - timedelta(minutes=minutes))
            )

    live.run(work)
