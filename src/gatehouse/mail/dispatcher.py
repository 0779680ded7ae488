"""One delivery attempt of one claimed message: count the attempt, render, resolve the tenant's
route now, send, record the outcome, and schedule a retry or give up."""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import update

from gatehouse.db.base import utcnow
from gatehouse.errors import DeliveryError, TransientDeliveryError
from gatehouse.mail.mime import build_message
from gatehouse.mail.models import FAILED, QUEUED, SENDING, SENT, DeliveryAttempt, OutboxMessage
from gatehouse.mail.routing import Route, resolve_route
from gatehouse.mail.templates.render import render
from gatehouse.mail.templates.resolve import template_for_message
from gatehouse.mail.transports.pool import TransportPool
from gatehouse.runtime import Runtime

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 3600.0
GIVE_UP_AFTER = timedelta(hours=24)


def retry_delay(attempts: int) -> float:
    """Jittered exponential backoff: about 30 s, 60 s, 120 s ... capped at one hour."""
    base = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


class Dispatcher:
    def __init__(self, runtime: Runtime, pool: TransportPool) -> None:
        self._runtime = runtime
        self._pool = pool

    async def deliver(
        self, message_id: str, lease_owner: str, *, lane: int = 0, group: int = 0
    ) -> None:
        """Deliver one message this worker holds the lease on, over connection ``lane`` of its
        tenant (``group`` spreads tenants sharing the default server over its connections)."""
        attempt_id, message, route, error = await self._start_attempt(message_id, lease_owner)
        if message is None:
            return
        started = time.perf_counter()
        reply: str | None = None
        if error is None and route is not None:
            try:
                reply = await self._send(message, route, lane=lane, group=group)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # never lose a message to a bug: retry it, log the cause
                log.exception("unexpected error delivering message %s", message_id)
                error = TransientDeliveryError(
                    "internal", f"Internal error ({type(exc).__name__})."
                )
        duration_ms = int((time.perf_counter() - started) * 1000)
        await self._finish(message, attempt_id, lease_owner, reply, error, duration_ms)

    async def _start_attempt(
        self, message_id: str, lease_owner: str
    ) -> tuple[str, OutboxMessage | None, Route | None, DeliveryError | None]:
        """Count and record the attempt before sending, so a crash mid-send is still counted.
        The lease is renewed here, and only while it still holds: a message whose lease ran out
        while it waited in this worker's batch may belong to another worker by now."""
        now = utcnow()
        async with self._runtime.sessions.begin() as session:
            renewed = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.lease_owner == lease_owner,
                    OutboxMessage.status == SENDING,
                    OutboxMessage.lease_until > now,
                )
                .values(
                    lease_until=now + timedelta(seconds=self._runtime.settings.worker_lease_seconds)
                )
                .execution_options(synchronize_session=False)
            )
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                return "", None, None, None
            message = await session.get(OutboxMessage, message_id)
            if message is None:
                return "", None, None, None
            route: Route | None = None
            error: DeliveryError | None = None
            try:
                route = await resolve_route(
                    session,
                    tenant_id=message.tenant_id,
                    settings=self._runtime.settings,
                    box=self._runtime.secret_box,
                )
            except DeliveryError as exc:
                error = exc
            message.attempts += 1
            attempt = DeliveryAttempt(
                message_id=message.id,
                tenant_id=message.tenant_id,
                transport=route.kind if route else "-",
                server=self._pool.describe(route) if route else "-",
            )
            session.add(attempt)
            await session.flush()
            return attempt.id, message, route, error

    async def _send(self, message: OutboxMessage, route: Route, *, lane: int, group: int) -> str:
        async with self._runtime.sessions() as session:  # the template set is resolved now
            template = await template_for_message(session, message)
        rendered = render(template, message.context or {})
        mime = build_message(
            rendered,
            sender_email=route.sender_email,
            sender_name=route.sender_name,
            recipient=message.recipient,
            reply_to=route.reply_to,
            message_id=message.id,
        )
        transport = self._pool.get(route, lane=lane, group=group)
        return await transport.send(mime, sender=route.sender_email, recipients=[message.recipient])

    async def _finish(
        self,
        message: OutboxMessage,
        attempt_id: str,
        lease_owner: str,
        reply: str | None,
        error: DeliveryError | None,
        duration_ms: int,
    ) -> None:
        now = utcnow()
        if error is None:
            values: dict[str, object] = {"status": SENT, "sent_at": now, "context": None}
            outcome, detail = "sent", reply
        elif error.retryable and now - message.created_at < GIVE_UP_AFTER:
            delay = timedelta(seconds=retry_delay(message.attempts))
            values = {"status": QUEUED, "next_attempt_at": now + delay}
            outcome, detail = "retry", None
        else:
            values = {"status": FAILED, "context": None}
            outcome, detail = "failed", None
        if error is not None:
            values["last_error"] = f"{error.step}: {error.message}"
        values.update(lease_owner=None, lease_until=None)
        async with self._runtime.sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id, OutboxMessage.lease_owner == lease_owner)
                .values(**values)
            )
            await session.execute(
                update(DeliveryAttempt)
                .where(DeliveryAttempt.id == attempt_id)
                .values(
                    outcome=outcome,
                    duration_ms=duration_ms,
                    step=error.step if error else None,
                    reply_code=error.reply_code if error else None,
                    error=error.message if error else detail,
                )
            )
        self._count(outcome, message, now)
        log.info(
            "message %s tenant=%s process=%s outcome=%s%s",
            message.id,
            message.tenant_id,
            message.process,
            outcome,
            f" step={error.step}" if error else "",
        )

    def _count(self, outcome: str, message: OutboxMessage, now: datetime) -> None:
        metrics = self._runtime.metrics
        if outcome == "sent":
            metrics.sent.inc()
            metrics.latency.observe((now - message.created_at).total_seconds())
        elif outcome == "retry":
            metrics.retried.inc()
        else:
            metrics.failed.inc()
