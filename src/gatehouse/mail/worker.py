"""The delivery loop: claim due messages with a lease, deliver them, repeat; stop gracefully.

Claims are safe with any number of workers: candidates are picked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), then taken with an UPDATE that re-checks they are still due, so two workers never
hold the same message. A worker that dies leaves a lease that expires; the message is retried."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from gatehouse.db.base import utcnow
from gatehouse.db.engine import is_sqlite
from gatehouse.mail import ratelimit
from gatehouse.mail.dispatcher import Dispatcher
from gatehouse.mail.models import QUEUED, SENDING, OutboxMessage
from gatehouse.mail.transports.pool import TransportPool
from gatehouse.runtime import Runtime

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.owner = uuid.uuid4().hex
        self._pool = TransportPool(runtime.settings, runtime.tls_context)
        self._dispatcher = Dispatcher(runtime, self._pool)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the messages in hand, then return from run()."""
        self._stopping.set()
        self._runtime.wake_worker()

    async def run(self) -> None:
        settings = self._runtime.settings
        log.info("delivery worker %s started", self.owner)
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    delivered = await self.run_once()
                    failures = 0
                except Exception:  # the database away, say: keep the worker alive, back off
                    failures += 1
                    log.exception("delivery worker %s: claiming or recording failed", self.owner)
                    await self._idle(min(30.0, settings.worker_poll_seconds * 2**failures))
                    continue
                if delivered == 0 and not self._stopping.is_set():
                    await self._pool.close_idle()
                    await self._idle(settings.worker_poll_seconds)
        finally:
            await self.close()

    async def close(self) -> None:
        await self._pool.close()
        log.info("delivery worker %s stopped", self.owner)

    async def _idle(self, seconds: float) -> None:
        event = self._runtime.mail_queued
        try:
            await asyncio.wait_for(event.wait(), timeout=seconds)
        except TimeoutError:
            return
        event.clear()

    async def run_once(self, *, only: str | None = None) -> int:
        """Claim one batch (or just message ``only``) and deliver it; how many were handled."""
        claimed = await self.claim(only=only)
        if not claimed:
            return 0
        by_tenant: dict[str, list[str]] = defaultdict(list)
        for message_id, tenant_id in claimed:
            by_tenant[tenant_id].append(message_id)
        # Tenants in parallel; each tenant over at most `max_connections_per_tenant` reused
        # connections (lanes), each lane sending its share of the tenant's messages in order.
        lanes = self._runtime.settings.max_connections_per_tenant
        await asyncio.gather(
            *(
                self._deliver_all(ids[lane::lanes], lane=lane, group=group)
                for group, ids in enumerate(by_tenant.values())
                for lane in range(min(lanes, len(ids)))
            )
        )
        await self._pool.close_retired()
        return len(claimed)

    async def _deliver_all(self, message_ids: list[str], *, lane: int, group: int) -> None:
        for message_id in message_ids:
            await self._dispatcher.deliver(message_id, self.owner, lane=lane, group=group)

    async def claim(self, *, only: str | None = None) -> list[tuple[str, str]]:
        """Take up to a batch of due messages (or just ``only``) under this worker's lease,
        within every tenant's rate limit."""
        settings = self._runtime.settings
        now = utcnow()
        lease_until = now + timedelta(seconds=settings.worker_lease_seconds)
        postgres = not is_sqlite(self._runtime.engine)
        async with self._runtime.sessions.begin() as session:
            exhausted = [t for t, n in (await ratelimit.allowances(session, now)).items() if n <= 0]
            candidates = (
                select(OutboxMessage.id, OutboxMessage.tenant_id)
                .where(_due(now), OutboxMessage.tenant_id.not_in(exhausted))
                .order_by(OutboxMessage.next_attempt_at)
                .limit(settings.worker_batch_size)
            )
            if only is not None:
                candidates = candidates.where(OutboxMessage.id == only)
            if postgres:
                candidates = candidates.with_for_update(skip_locked=True)
            picked = [(row.id, row.tenant_id) for row in await session.execute(candidates)]
            if not picked:
                return []
            allowed = await ratelimit.allowances(
                session, now, tenant_ids={t for _, t in picked}, lock=postgres
            )
            ids = [message_id for message_id, _ in ratelimit.trim(picked, allowed)]
            if not ids:
                return []
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), _due(now))
                .values(status=SENDING, lease_owner=self.owner, lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )
            rows = await session.execute(
                select(OutboxMessage.id, OutboxMessage.tenant_id).where(
                    OutboxMessage.id.in_(ids),
                    OutboxMessage.lease_owner == self.owner,
                    OutboxMessage.lease_until == lease_until,
                )
            )
            return [(row.id, row.tenant_id) for row in rows]


def _due(now: object) -> ColumnElement[bool]:
    """Queued and due, or being sent under a lease that has expired (its worker died)."""
    return or_(
        and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until < now),
    )
