"""db.bulk.execute_many against a real SQLite database: each row's values reach the driver
through their column types, a value bound in the statement fills what rows leave out, a
timestamp shared by every row is processed once, and a row missing a value is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gatehouse.db.base import UtcDateTime
from gatehouse.db.bulk import execute_many

metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("id", String, primary_key=True),
    Column("at", UtcDateTime),
    Column("kind", String),
    Column("count", Integer),
)
INSERT = insert(events).values(
    id=bindparam("b_id"),
    at=bindparam("b_at", type_=events.c.at.type),
    kind="pending",  # bound in the statement itself
    count=bindparam("b_count"),
)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def stored(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(select(events).order_by(events.c.id))
        return [tuple(row) for row in result]


async def test_rows_go_through_their_types_and_the_statement_fills_the_rest(
    engine: AsyncEngine,
) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    plus_one = timezone(timedelta(hours=1))
    rows = [
        {"b_id": "a", "b_at": now, "b_count": 1},
        {"b_id": "b", "b_at": now, "b_count": 2},  # the very same object: processed once
        {"b_id": "c", "b_at": datetime(2026, 11, 27, 14, 30, tzinfo=plus_one), "b_count": 3},
        {"b_id": "d", "b_at": now, "b_count": 4},  # the first value again, after another
    ]
    async with engine.begin() as connection:
        await execute_many(connection, INSERT, rows)
    assert await stored(engine) == [
        ("a", now, "pending", 1),
        ("b", now, "pending", 2),
        ("c", datetime(2026, 11, 27, 13, 30, tzinfo=UTC), "pending", 3),  # made UTC
        ("d", now, "pending", 4),
    ]


async def test_a_row_without_a_value_for_a_parameter_is_refused(engine: AsyncEngine) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    async with engine.begin() as connection:
        with pytest.raises(KeyError, match="no value for bind parameter 'b_count'"):
            await execute_many(connection, INSERT, [{"b_id": "a", "b_at": now}])
    assert await stored(engine) == []
