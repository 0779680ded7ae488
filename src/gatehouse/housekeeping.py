"""What every worker deletes at start and every hour: rows whose use is over, which would
otherwise pile up for ever (one per sign-in, per link, per limited e-mail) and slow down the
queries that look for the live ones. The delivery log's own rule is in mail/retention.py.

- sessions a day after they expired (a revoked one expires too; after that no cookie opens it);
- links 30 days after they expired: till then an expired link still says so and offers a new
  one, as the e-mail that carried it may still be in the delivery log; after that it is "not
  valid";
- the e-mails the per-user limit counted, two days later (it looks back 24 hours);
- the failed logons and forgot-password requests the per-client limits counted, once out of
  their hour (processes/client_limit.py): deleted here rather than at each request, which
  would add a statement to every logon and reset request."""

from __future__ import annotations

from datetime import datetime, timedelta

from gatehouse.accounts.models import LimitedEmail, LinkToken, WebSession
from gatehouse.db.base import utcnow
from gatehouse.db.batches import delete_in_batches
from gatehouse.db.engine import SessionFactory
from gatehouse.processes.client_limit import WINDOW as CLIENT_LIMIT_WINDOW
from gatehouse.processes.models import ClientAttempt

SESSIONS_KEPT = timedelta(days=1)
LINKS_KEPT = timedelta(days=30)
LIMITED_KEPT = timedelta(days=2)
BATCH = 1000  # rows per transaction: short, so sign-ins never wait long behind it


async def purge_expired(
    sessions: SessionFactory, *, locking: bool, now: datetime | None = None
) -> int:
    """Delete what is over (above); how many rows. ``locking`` (PostgreSQL): rows another
    worker's purge holds are skipped, so two purges never wait for each other, nor deadlock."""
    now = now or utcnow()
    rules = (
        (WebSession.token_hash, WebSession.expires_at < now - SESSIONS_KEPT),
        (LinkToken.token_hash, LinkToken.expires_at < now - LINKS_KEPT),
        (LimitedEmail.id, LimitedEmail.at < now - LIMITED_KEPT),
        (ClientAttempt.id, ClientAttempt.created_at <= now - CLIENT_LIMIT_WINDOW),
    )
    return sum(
        [
            await delete_in_batches(sessions, key, over, batch=BATCH, locking=locking)
            for key, over in rules
        ]
    )
