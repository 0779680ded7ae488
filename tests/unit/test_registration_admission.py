"""The per-client registration limit on a real (SQLite) database: which network a client
address counts under, the hour's window, tenants apart, refusals not counted, 0 for none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from gatehouse.db.base import utcnow
from gatehouse.db.engine import SessionFactory
from gatehouse.processes.client_limit import client_network
from gatehouse.processes.models import RegistrationRequest
from gatehouse.processes.registration_limit import (
    TOO_MANY_REGISTRATIONS,
    TooManyRegistrations,
    admit_registration,
)
from tests.support.model_database import model_database


@pytest.mark.parametrize(
    ("host", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_client_network(host: str | None, network: str) -> None:
    assert client_network(host) == network


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async with model_database(tmp_path, "one", "two") as sessions:
        yield sessions


async def admit(db: SessionFactory, tenant_id: str, network: str, limit: int = 2) -> bool:
    """Whether a registration was admitted (and, like a request, committed)."""
    async with db.begin() as session:
        try:
            await admit_registration(session, tenant_id=tenant_id, network=network, limit=limit)
        except TooManyRegistrations as exc:
            assert str(exc) == TOO_MANY_REGISTRATIONS
            return False
    return True


async def rows(db: SessionFactory) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count(RegistrationRequest.id))) or 0)


async def test_the_limit_counts_per_tenant_and_network(db: SessionFactory) -> None:
    assert [await admit(db, "one", "203.0.113.7") for _ in range(3)] == [True, True, False]
    assert await rows(db) == 2  # the refusal is not counted
    assert await admit(db, "one", "198.51.100.1")  # another network
    assert await admit(db, "two", "203.0.113.7")  # another tenant


async def test_registrations_an_hour_old_no_longer_count_and_are_deleted(
    db: SessionFactory,
) -> None:
    assert await admit(db, "one", "203.0.113.7") and await admit(db, "one", "203.0.113.7")
    async with db.begin() as session:
        await session.execute(
            update(RegistrationRequest).values(created_at=utcnow() - timedelta(minutes=61))
        )
    assert await admit(db, "one", "203.0.113.7")
    assert await rows(db) == 1  # the hour-old ones went


async def test_zero_means_no_limit_and_records_nothing(db: SessionFactory) -> None:
    assert all([await admit(db, "one", "203.0.113.7", limit=0) for _ in range(5)])
    assert await rows(db) == 0
