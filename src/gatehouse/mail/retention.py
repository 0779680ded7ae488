"""How long the delivery log keeps an e-mail. A sent or failed e-mail (its recipient, status,
errors and attempts) is deleted ``GATEHOUSE_DELIVERY_LOG_DAYS`` after its last try: the log is
for finding out why an e-mail did not arrive, and recipients' addresses are personal data that
must not pile up for ever (nor slow every tenant's delivery log down). Queued e-mails and those
being sent are never deleted. Every worker purges once an hour, a batch at a time.

The last try is ``next_attempt_at``, which the outcome sets to its time: counted from it, an
e-mail failed after a day of retries is kept as long as one that failed at once, and
``ix_outbox_due`` (status, next_attempt_at) finds the old ones without reading the others."""

from __future__ import annotations

from datetime import datetime, timedelta

from gatehouse.db.base import utcnow
from gatehouse.db.batches import delete_in_batches
from gatehouse.db.engine import SessionFactory
from gatehouse.mail.models import FAILED, SENT, OutboxMessage

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
    old = OutboxMessage.status.in_((SENT, FAILED)) & (OutboxMessage.next_attempt_at < cutoff)
    # Their attempts go with them: delivery_attempts.message_id is ON DELETE CASCADE (SQLite
    # enforces it too: db/engine.py turns foreign keys on).
    return await delete_in_batches(sessions, OutboxMessage.id, old, batch=BATCH, locking=locking)
