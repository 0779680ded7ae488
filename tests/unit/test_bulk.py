"""db.bulk.execute_many against a real SQLite database: each row's values reach the driver
through their column types, a value bound in the statement fills what rows leave out, a
timestamp shared by every row is processed once, a parameter used twice gets its value in
both places, and a row missing a value is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gatehouse.db.base import UtcDateTime
from gatehouse.db.bulk import execute_many


class CountedUtcDateTime(UtcDateTime):
    """UtcDateTime that counts how often a value is converted for the driver."""

    cache_ok = True
    conversions = 0

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        CountedUtcDateTime.conversions += 1
        return super().process_bind_param(value, dialect)


metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("id", String, primary_key=True),
    Column("at", CountedUtcDateTime),
    Column("kind", String),
    Column("count", Integer),
    Column("copy", Integer),
)
INSERT = insert(events).values(
    id=bindparam("b_id"),
    at=bindparam("b_at", type_=events.c.at.type),
    kind=bindparam("b_kind", value="pending", required=False),  # a row may override it
    count=bindparam("b_count"),
    copy=0,
)
COUNT = bindparam("b_count", type_=Integer)
SAME_TWICE = (  # one parameter in two places
    update(events).where(events.c.id == bindparam("b_id")).values(count=COUNT, copy=COUNT)
)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


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
    plus_one = timezone(timedelta(hours=1))
    rows = [
        {"b_id": "a", "b_at": NOW, "b_count": 1},
        {"b_id": "b", "b_at": NOW, "b_count": 2, "b_kind": "urgent"},  # the same object
        {"b_id": "c", "b_at": datetime(2026, 11, 27, 14, 30, tzinfo=plus_one), "b_count": 3},
        {"b_id": "d", "b_at": NOW, "b_count": 4},  # the first value again, after another
    ]
    CountedUtcDateTime.conversions = 0
    async with engine.begin() as connection:
        await execute_many(connection, INSERT, rows)
    assert CountedUtcDateTime.conversions == 3  # NOW once for a and b, c, NOW again for d
    assert await stored(engine) == [
        ("a", NOW, "pending", 1, 0),
        ("b", NOW, "urgent", 2, 0),
        ("c", datetime(2026, 11, 27, 13, 30, tzinfo=UTC), "pending", 3, 0),  # made UTC
        ("d", NOW, "pending", 4, 0),
    ]


async def test_a_parameter_used_twice_gets_its_value_in_both_places(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await execute_many(connection, INSERT, [{"b_id": "a", "b_at": NOW, "b_count": 1}])
        await execute_many(connection, SAME_TWICE, [{"b_id": "a", "b_count": 7}])
    assert await stored(engine) == [("a", NOW, "pending", 7, 7)]


async def test_a_row_without_a_value_for_a_parameter_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        with pytest.raises(KeyError, match="no value for bind parameter 'b_count'"):
            await execute_many(connection, INSERT, [{"b_id": "a", "b_at": NOW}])
    assert await stored(engine) == []
