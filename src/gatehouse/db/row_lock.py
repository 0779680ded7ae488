"""A row's write lock until the transaction ends, on both databases, to serialize a check
and the write that follows it (two requests at once would both pass the check).

One UPDATE that sets a column to itself does it: PostgreSQL locks the row (a concurrent
transaction waits there, then reads what the first committed); SQLite takes the database's
write lock (as the transaction's first write, so it waits instead of failing). The column must
be no key column: a key column's lock would block every row inserted under it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


async def lock_rows(
    session: AsyncSession, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> None:
    """Lock the rows of ``column``'s table that match ``where`` by setting ``column`` to itself."""
    await session.execute(
        update(column.class_)
        .where(*where)
        .values({column.key: column})
        .execution_options(synchronize_session=False)
    )
