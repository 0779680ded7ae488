"""Deleting many rows a batch at a time: each batch its own short transaction, so the requests
and claims that write the same tables never wait long behind a purge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, select

from gatehouse.db.engine import SessionFactory


async def delete_in_batches(
    sessions: SessionFactory,
    key: Any,
    where: ColumnElement[bool],
    *,
    batch: int,
    locking: bool,
) -> int:
    """Delete the rows of ``key``'s table (``key``: its primary key column) where ``where``,
    ``batch`` at a time; how many. ``locking`` (PostgreSQL): rows another transaction holds
    are skipped, so two purges at once never wait for each other, nor deadlock."""
    deleted = 0
    while True:
        async with sessions.begin() as session:
            chosen = select(key).where(where).limit(batch)
            if locking:
                chosen = chosen.with_for_update(skip_locked=True)
            keys = list((await session.scalars(chosen)).all())
            if keys:
                await session.execute(delete(key.class_).where(key.in_(keys)))
        deleted += len(keys)
        if len(keys) < batch:
            return deleted
