"""Unique names kept by the database, answered as the check before the write answers.

Services check that a name is free before they write it, for a clear message naming the field.
Two requests at once (a form sent twice) can both pass that check; the unique index then
refuses the second write, and this turns the refusal into the same message instead of an
internal error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Index
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gatehouse.errors import ValidationError


def unique_name_index(
    name: str, tenant_id: InstrumentedAttribute[str], key: InstrumentedAttribute[str]
) -> Index:
    """One name per tenant, upper or lower case alike: unique on the name's ``key``
    (db/name_keys.py). The service checks first, for its message; the index keeps two
    requests at once from both writing one."""
    return Index(name, tenant_id, key, unique=True)


@asynccontextmanager
async def unique_or(
    session: AsyncSession, error: ValidationError, *, marks: tuple[str, ...]
) -> AsyncIterator[None]:
    """Flush the block's writes; a unique violation whose database message names one of
    ``marks`` (the index's name, or SQLite's ``table.column``) rolls the whole transaction back
    (a refused change changes nothing) and raises ``error``. A caller that shows a page after
    the error reloads what it shows: the rollback expired every loaded object. (Not a
    savepoint: SQLite's driver opens no transaction before one, so releasing it would commit
    the request's writes so far on their own.) Any other integrity error is left as it is."""
    try:
        yield
        await session.flush()
    except IntegrityError as exc:
        if not any(mark in str(exc.orig) for mark in marks):
            raise
        await session.rollback()
        raise error from exc
