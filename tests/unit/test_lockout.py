"""Password lockout on a real (SQLite) database: five failures in a row lock for 60 minutes;
failures while locked change nothing; a lock that ran out starts the count afresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gatehouse.accounts import lockout
from gatehouse.accounts.models import User
from gatehouse.accounts.users import create_user
from gatehouse.db.base import utcnow
from gatehouse.db.engine import SessionFactory
from tests.support.model_database import model_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async with model_database(tmp_path, "one") as sessions:
        async with sessions.begin() as session:
            await create_user(session, tenant_id="one", email="u@one.test", password="Pass-word-1")
        yield sessions


async def fail(db: SessionFactory) -> bool:
    async with db.begin() as session:
        user = await session.scalar(select(User).where(User.email == "u@one.test"))
        assert user is not None
        return await lockout.record_failure(session, user)


async def current(db: SessionFactory) -> User:
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == "u@one.test"))
        assert user is not None
        return user


async def test_fifth_failure_locks_for_an_hour(db: SessionFactory) -> None:
    """Failures one to four only count; the fifth locks for 60 minutes, once."""
    results = [await fail(db) for _ in range(5)]
    assert results == [False, False, False, False, True]
    user = await current(db)
    assert user.failed_logons == 5 and user.locked_until is not None
    remaining = user.locked_until - utcnow()
    assert timedelta(minutes=59) < remaining <= timedelta(minutes=60)


async def test_failures_while_locked_change_nothing(db: SessionFactory) -> None:
    """A sixth failure during the lock neither extends it nor locks again."""
    for _ in range(5):
        await fail(db)
    until = (await current(db)).locked_until
    assert await fail(db) is False
    after = await current(db)
    assert (after.failed_logons, after.locked_until) == (5, until)


async def test_expired_lock_starts_the_count_afresh(db: SessionFactory) -> None:
    """After the hour, one failure counts as the first of five again."""
    for _ in range(5):
        await fail(db)
    async with db.begin() as session:
        user = await session.get(User, (await current(db)).id)
        assert user is not None
        user.locked_until = utcnow() - timedelta(seconds=1)
    assert await fail(db) is False
    user = await current(db)
    assert (user.failed_logons, user.locked_until) == (1, None)


async def test_unlock_clears_lock_and_count(db: SessionFactory) -> None:
    """The administrator's unlock reports the lock and clears it."""
    for _ in range(5):
        await fail(db)
    async with db.begin() as session:
        user = await session.get(User, (await current(db)).id)
        assert user is not None
        assert await lockout.unlock(session, user) is True
        assert await lockout.unlock(session, user) is False
    user = await current(db)
    assert (user.failed_logons, user.locked_until) == (0, None)
