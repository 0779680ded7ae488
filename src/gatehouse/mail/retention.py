"""How long the delivery log keeps an e-mail. A sent or failed e-mail (its recipient, status,
errors and attempts) is deleted ``GATEHOUSE_DELIVERY_LOG_DAYS`` after its last try: the log is
for finding out why an e-mail did not arrive, and recipients' addresses are personal data that
must not pile up for ever (nor slow every tenant's delivery log down). Queued e-mails and those
being sent are never deleted. Every worker purges once an hour, a batch at a time.

The last try is ``next_attempt_at``, which the outcome sets to its time: counted from it, an
e-mail failed after a day of retries is kept as long as one that failed at once, and
``ix_outbox_due`` (status, next_attempt_at) finds the old ones without reading the others."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from gatehouse.db.base import utcnow
from gatehouse.db.engine import SessionFactory
from gatehouse.mail.models import FAILED, SENT, DeliveryAttempt, OutboxMessage

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600.0
# Messages deleted per transaction: short, so claims and outcomes never wait long behind it.
BATCH = 500


async def purge_delivery_log(
    sessions: SessionFactory, *, days: int, locking: bool, now: datetime | None = None
) -> int:
    """Delete the sent and failed e-mails last tried more than ``days`` ago, with their
    attempts; how many. ``locking`` (PostgreSQL): rows another worker's purge holds are
    skipped, so two purges at once never wait for each other, nor deadlock."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    purged = 0
    while True:
        async with sessions.begin() as session:
            chosen = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status.in_((SENT, FAILED)), OutboxMessage.next_attempt_at < cutoff
                )
                .limit(BATCH)
            )
            if locking:
                chosen = chosen.with_for_update(skip_locked=True)
            ids = list((await session.scalars(chosen)).all())
            if ids:
                await session.execute(
                    delete(DeliveryAttempt).where(DeliveryAttempt.message_id.in_(ids))
                )
                await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        purged += len(ids)
        if len(ids) < BATCH:
            return purged
