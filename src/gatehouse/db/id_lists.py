"""A list of record IDs as one condition: ``id IN (...)`` on SQLite, ``id = ANY(:ids)`` with
one array parameter on PostgreSQL.

``id IN ($1, ..., $500)`` is a statement of its own for every length of the list, each
prepared anew. With one array parameter it is one statement for any length; the engine plans
it for the values at hand (``db/engine.py``), so PostgreSQL hashes the list where it tests rows
against it. On a generic plan, made without the values, it compared each row with the whole
list: a claim of 500 among 3,000 due messages, reached through ``ix_outbox_due`` on statistics
taken while the queue was quiet, took 7 ms of the server's time, then 35 ms from the sixth on."""

from __future__ import annotations

from sqlalchemy import String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement


def among(column: ColumnElement[str], name: str, *, postgres: bool) -> ColumnElement[bool]:
    """``column`` is one of the IDs bound as ``name`` (a list, at execution)."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))
