"""Password lockout: five failed logons in a row lock the password for 60 minutes.

Every change runs after lock_user(), so concurrent failed logons count one by one and exactly
one of them applies the lock (and so queues exactly one Locked Password e-mail)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.users import lock_user
from gatehouse.db.base import utcnow

LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=60)


def is_locked(user: User, *, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


async def record_failure(session: AsyncSession, user: User) -> bool:
    """Count one failed logon; True when this failure locked the password. A lock that has
    run out starts the count afresh; failures while locked change nothing."""
    await lock_user(session, user.tenant_id, user.id)
    now = utcnow()
    current = await session.scalar(
        select(User)
        .where(User.tenant_id == user.tenant_id, User.id == user.id)
        .execution_options(populate_existing=True)
    )
    if current is None or is_locked(current, now=now):
        return False
    if current.locked_until is not None:  # an expired lock
        current.locked_until, current.failed_logons = None, 0
    current.failed_logons += 1
    locked = current.failed_logons >= LOCK_AFTER_FAILURES
    if locked:
        current.locked_until = now + LOCK_DURATION
    await session.flush()
    return locked


async def record_success(session: AsyncSession, user: User) -> None:
    """A successful logon clears the count of failures (and a lock that has run out)."""
    if user.failed_logons or user.locked_until is not None:
        user.failed_logons, user.locked_until = 0, None
        await session.flush()


async def unlock(session: AsyncSession, user: User) -> bool:
    """An administrator's unlock; True when the password was locked."""
    await lock_user(session, user.tenant_id, user.id)
    await session.refresh(user)
    was_locked = is_locked(user)
    user.failed_logons, user.locked_until = 0, None
    await session.flush()
    return was_locked
