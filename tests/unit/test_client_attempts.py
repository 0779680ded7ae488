"""The per-client limits of failed logons and forgot-password requests on a real (SQLite)
database: per tenant, network and kind, the hour's window, 0 for none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from gatehouse.db.base import utcnow
from gatehouse.db.engine import SessionFactory
from gatehouse.errors import LimitReachedError
from gatehouse.processes.client_limit import REFUSALS, Attempt, check_attempts, record_attempt
from gatehouse.processes.models import ClientAttempt
from tests.support.model_database import model_database

LOGON, FORGOT = Attempt.FAILED_LOGON, Attempt.FORGOT_PASSWORD


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async with model_database(tmp_path, "one", "two") as sessions:
        yield sessions


async def allowed(
    db: SessionFactory, tenant_id: str, network: str, attempt: Attempt = LOGON, limit: int = 2
) -> bool:
    """Whether the attempt was allowed, and then counted (committed, as a request does)."""
    async with db.begin() as session:
        try:
            await check_attempts(
                session, tenant_id=tenant_id, attempt=attempt, network=network, limit=limit
            )
        except LimitReachedError as exc:
            assert exc.message == REFUSALS[attempt]
            return False
        await record_attempt(
            session, tenant_id=tenant_id, attempt=attempt, network=network, limit=limit
        )
    return True


async def rows(db: SessionFactory) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count(ClientAttempt.id))) or 0)


async def test_counted_per_tenant_network_and_kind(db: SessionFactory) -> None:
    assert [await allowed(db, "one", "203.0.113.7") for _ in range(3)] == [True, True, False]
    assert await allowed(db, "one", "198.51.100.1")  # another network
    assert await allowed(db, "two", "203.0.113.7")  # another tenant
    assert await allowed(db, "one", "203.0.113.7", FORGOT)  # another limit
    assert not await allowed(db, "one", "203.0.113.7")


async def test_attempts_an_hour_old_no_longer_count(db: SessionFactory) -> None:
    """Out of the hour they are not counted; the workers' housekeeping deletes them later."""
    assert await allowed(db, "one", "203.0.113.7") and await allowed(db, "one", "203.0.113.7")
    async with db.begin() as session:
        await session.execute(
            update(ClientAttempt).values(created_at=utcnow() - timedelta(minutes=61))
        )
    assert await allowed(db, "one", "203.0.113.7") and await allowed(db, "one", "203.0.113.7")
    assert not await allowed(db, "one", "203.0.113.7")
    assert await rows(db) == 4


async def test_zero_means_no_limit_and_records_nothing(db: SessionFactory) -> None:
    assert all([await allowed(db, "one", "203.0.113.7", limit=0) for _ in range(5)])
    assert await rows(db) == 0


def test_every_attempt_kind_fits_its_column() -> None:
    """PostgreSQL refuses a longer value where SQLite stores it: "mail-server-check" (17
    characters in a 16-character column) failed every mail server check on PostgreSQL only."""
    width = ClientAttempt.__table__.c.kind.type.length
    assert width is not None
    assert [kind.value for kind in Attempt if len(kind.value) > width] == []
