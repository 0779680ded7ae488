"""The per-user e-mail limit on a real (SQLite) database: three per rolling 24 hours, refusals
recorded, Reset Counter, and the window rolling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gatehouse.accounts.models import LimitedEmail, User
from gatehouse.accounts.users import create_user, lock_user
from gatehouse.db.base import utcnow
from gatehouse.db.engine import SessionFactory
from gatehouse.processes import email_limit
from tests.support.model_database import model_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """A fresh SQLite database with tenants ``one`` and ``two`` and a user in each."""
    async with model_database(tmp_path, "one", "two") as sessions:
        async with sessions.begin() as session:
            for tenant_id in ("one", "two"):
                await create_user(session, tenant_id=tenant_id, email=f"u@{tenant_id}.test")
        yield sessions


async def user_id(db: SessionFactory, tenant_id: str = "one") -> str:
    async with db() as session:
        return str(await session.scalar(select(User.id).where(User.tenant_id == tenant_id)))


async def take(
    db: SessionFactory, uid: str, tenant_id: str = "one", process: str = "forgot-password"
) -> LimitedEmail | None:
    async with db.begin() as session:
        return await email_limit.take_slot(
            session, tenant_id=tenant_id, user_id=uid, process=process
        )


async def state(db: SessionFactory, uid: str, tenant_id: str = "one") -> email_limit.LimitState:
    async with db() as session:
        return await email_limit.limit_state(session, tenant_id=tenant_id, user_id=uid)


async def test_three_counted_then_refused(db: SessionFactory) -> None:
    """The first three e-mails get a slot; the fourth is refused and recorded as refused."""
    uid = await user_id(db)
    taken = [await take(db, uid) for _ in range(4)]
    assert [slot is not None for slot in taken] == [True, True, True, False]
    current = await state(db, uid)
    assert (current.count, current.limit, current.refused, current.reached) == (3, 3, 1, True)
    assert current.sent_at == sorted(current.sent_at) and len(current.sent_at) == 3
    assert current.last_refused_at is not None


async def test_every_counted_process_shares_the_limit(db: SessionFactory) -> None:
    """Forgot, reset and locked password e-mails all count towards the same three."""
    uid = await user_id(db)
    for process in ("forgot-password", "reset-password", "locked-password"):
        assert await take(db, uid, process=process) is not None
    assert await take(db, uid, process="forgot-password") is None


async def test_uncounted_process_is_a_programming_error(db: SessionFactory) -> None:
    """Asking the limit about a process it does not count is refused loudly."""
    uid = await user_id(db)
    with pytest.raises(ValueError, match="on-behalf-registration is not counted"):
        await take(db, uid, process="on-behalf-registration")


async def test_window_rolls_after_24_hours(db: SessionFactory) -> None:
    """E-mails older than 24 hours stop counting: the window rolls, it is not a daily reset."""
    uid = await user_id(db)
    for _ in range(3):
        await take(db, uid)
    async with db.begin() as session:
        oldest = await session.scalar(select(LimitedEmail).order_by(LimitedEmail.at).limit(1))
        oldest.at = utcnow() - timedelta(hours=24, seconds=1)
    assert (await state(db, uid)).count == 2
    assert await take(db, uid) is not None
    assert await take(db, uid) is None


async def test_e_mail_just_inside_the_window_still_counts(db: SessionFactory) -> None:
    """An e-mail sent 23 hours 59 minutes ago still takes one of the three."""
    uid = await user_id(db)
    for _ in range(3):
        await take(db, uid)
    async with db.begin() as session:
        for row in await session.scalars(select(LimitedEmail)):
            row.at = utcnow() - timedelta(hours=23, minutes=59)
    assert await take(db, uid) is None


async def test_reset_counter_returns_to_zero_and_frees_three(db: SessionFactory) -> None:
    """Reset Counter: count 0, no sent times, refusals cleared, three more e-mails allowed."""
    uid = await user_id(db)
    for _ in range(4):
        await take(db, uid)
    async with db.begin() as session:
        before = await email_limit.reset_counter(session, tenant_id="one", user_id=uid)
    assert before == 3
    current = await state(db, uid)
    assert (current.count, current.sent_at, current.refused) == (0, [], 0)
    assert [await take(db, uid) is not None for _ in range(4)] == [True, True, True, False]


async def test_users_and_tenants_are_counted_apart(db: SessionFactory) -> None:
    """One user at the limit leaves another tenant's user untouched."""
    first, second = await user_id(db, "one"), await user_id(db, "two")
    for _ in range(4):
        await take(db, first, "one")
    assert await take(db, second, "two") is not None
    assert (await state(db, second, "two")).count == 1
    assert (await state(db, first, "two")).count == 0  # scoped by tenant too


async def test_lock_user_reports_unknown_user(db: SessionFactory) -> None:
    """lock_user is True for a user of the tenant, False for an ID of another tenant."""
    uid = await user_id(db, "one")
    async with db.begin() as session:
        assert await lock_user(session, "one", uid) is True
        assert await lock_user(session, "two", uid) is False


def test_limit_sentence_is_the_references() -> None:
    """The sentence users see at the limit, word for word."""
    assert email_limit.LIMIT_REACHED == (
        "We did not send you an email because you have reached the limit of three emails in "
        "any 24 hour period."
    )
