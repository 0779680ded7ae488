"""The per-user e-mail limit: at most three counted e-mails (forgot, reset and locked password,
e-mail verification, TOTP deactivation) per user in any rolling 24 hours.

Exact under concurrency, across any number of server processes: take_slot() first calls
lock_user() (one UPDATE of the user's row: a row lock on PostgreSQL, the write lock on SQLite),
then counts and records in the same transaction. A second request for the same user waits at
the lock until the first commits, and then counts the first one's e-mail. Each counted e-mail
is a row with its time, so the window rolls and the administrator sees when they were sent.
Reset Counter marks the rows of the window cleared; refusals are rows too."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import LimitedEmail
from gatehouse.accounts.users import lock_user
from gatehouse.db.base import utcnow
from gatehouse.mail.models import OutboxMessage

log = logging.getLogger(__name__)

LIMIT = 3
WINDOW = timedelta(hours=24)
COUNTED, REFUSED = "counted", "refused"
COUNTED_PROCESSES = frozenset(
    {
        "forgot-password",
        "reset-password",
        "locked-password",
        "email-verification",
        "deactivate-totp",
    }
)
LIMIT_REACHED = (
    "We did not send you an email because you have reached the limit of three emails in any "
    "24 hour period."
)
# The same, told to an administrator who asked for an e-mail to the user.
USER_AT_LIMIT = (
    "No e-mail was sent: the user has reached the limit of three emails in any 24 hour period."
)


@dataclass(frozen=True)
class CountedEmail:
    """One e-mail the limit counts, with where its delivery stands: counting it does not mean
    it was sent (it may wait for a retry, or have failed). ``status`` is None once its
    message is no longer in the delivery log."""

    at: datetime  # when it was asked for and counted
    process: str
    message_id: str | None
    status: str | None
    attempts: int
    template_set_id: None = None  # never a template's test: as the console's labels expect


@dataclass(frozen=True)
class LimitState:
    """What the administrator sees next to *Password Reset*."""

    count: int
    limit: int
    emails: list[CountedEmail]  # oldest first
    refused: int  # refusals in the window
    last_refused_at: datetime | None

    @property
    def reached(self) -> bool:
        return self.count >= self.limit

    @property
    def sent_at(self) -> list[datetime]:
        """When each counted e-mail was asked for (the API's ``sent_at``)."""
        return [email.at for email in self.emails]


async def take_slot(
    session: AsyncSession, *, tenant_id: str, user_id: str, process: str
) -> LimitedEmail | None:
    """Count one e-mail of ``process`` for the user, or record a refusal and return None.

    Holds the user's lock until the caller's transaction ends: queue the e-mail in that same
    transaction and set ``message_id`` on the returned row."""
    if process not in COUNTED_PROCESSES:
        raise ValueError(f"{process} is not counted by the e-mail limit")
    await lock_user(session, tenant_id, user_id)
    now = utcnow()
    count = len(await _window(session, tenant_id, user_id, now, COUNTED))
    row = LimitedEmail(
        tenant_id=tenant_id,
        user_id=user_id,
        process=process,
        outcome=COUNTED if count < LIMIT else REFUSED,
        at=now,
    )
    session.add(row)
    await session.flush()
    if row.outcome == REFUSED:
        log.warning(
            "e-mail limit reached: tenant %s user %s, %s not sent", tenant_id, user_id, process
        )
        return None
    return row


async def limit_state(session: AsyncSession, *, tenant_id: str, user_id: str) -> LimitState:
    now = utcnow()
    counted = await _window(session, tenant_id, user_id, now, COUNTED)
    refused = await _window(session, tenant_id, user_id, now, REFUSED)
    return LimitState(
        count=len(counted),
        limit=LIMIT,
        emails=await _with_delivery(session, tenant_id, counted),
        refused=len(refused),
        last_refused_at=refused[-1].at if refused else None,
    )


async def reset_counter(session: AsyncSession, *, tenant_id: str, user_id: str) -> int:
    """Set the user's count to zero (the administrator's *Reset Counter*): the e-mails and
    refusals of the window stop counting. Returns the count before."""
    await lock_user(session, tenant_id, user_id)
    now = utcnow()
    before = len(await _window(session, tenant_id, user_id, now, COUNTED))
    await session.execute(
        update(LimitedEmail)
        .where(
            LimitedEmail.tenant_id == tenant_id,
            LimitedEmail.user_id == user_id,
            LimitedEmail.cleared_at.is_(None),
            LimitedEmail.at > now - WINDOW,
        )
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    )
    return before


async def _with_delivery(
    session: AsyncSession, tenant_id: str, counted: list[LimitedEmail]
) -> list[CountedEmail]:
    """The counted e-mails with their messages' status and attempts (the tenant's only)."""
    ids = [row.message_id for row in counted if row.message_id]
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts).where(
            OutboxMessage.tenant_id == tenant_id, OutboxMessage.id.in_(ids)
        )
    )
    delivery = {row.id: (row.status, row.attempts) for row in rows}
    return [
        CountedEmail(
            row.at, row.process, row.message_id, *delivery.get(row.message_id or "", (None, 0))
        )
        for row in counted
    ]


async def _window(
    session: AsyncSession, tenant_id: str, user_id: str, now: datetime, outcome: str
) -> list[LimitedEmail]:
    rows = await session.scalars(
        select(LimitedEmail)
        .where(
            LimitedEmail.tenant_id == tenant_id,
            LimitedEmail.user_id == user_id,
            LimitedEmail.outcome == outcome,
            LimitedEmail.cleared_at.is_(None),
            LimitedEmail.at > now - WINDOW,
        )
        .order_by(LimitedEmail.at)
    )
    return list(rows.all())
