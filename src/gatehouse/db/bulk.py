"""executemany for the delivery worker's per-message statements, without SQLAlchemy's per-row
work. The statement is compiled once per dialect; each row becomes a tuple of driver values
(run through the bind parameter's type, as SQLAlchemy would) and the driver gets them all at
once. Written for Core INSERT and UPDATE statements with named bind parameters: the worker
writes one attempt row per message, and SQLAlchemy's row-by-row parameter processing cost
more than the database's own work (docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True)
class _Prepared:
    sql: str
    names: tuple[str, ...]  # positional order of the parameters
    processors: tuple[Callable[[Any], Any] | None, ...]
    fixed: dict[str, Any]  # values bound in the statement itself, e.g. lease_owner=None


_cache: dict[tuple[int, str], tuple[UpdateBase, _Prepared]] = {}


async def execute_many(
    connection: AsyncConnection, statement: UpdateBase, rows: list[dict[str, Any]]
) -> None:
    """Run ``statement`` once per row (``rows`` map bind parameter names to values)."""
    if not rows:
        return
    if not connection.dialect.positional:  # a driver taking named parameters: the usual way
        await connection.execute(statement, rows)
        return
    prepared = _prepare(statement, connection.dialect)
    params = [_row(prepared, row) for row in rows]
    await connection.exec_driver_sql(prepared.sql, params)


def _row(prepared: _Prepared, row: dict[str, Any]) -> tuple[Any, ...]:
    values = []
    for name, process in zip(prepared.names, prepared.processors, strict=True):
        value = row[name] if name in row else prepared.fixed[name]
        values.append(process(value) if process is not None else value)
    return tuple(values)


def _prepare(statement: UpdateBase, dialect: Dialect) -> _Prepared:
    key = (id(statement), dialect.name)
    cached = _cache.get(key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = {name: compiled.binds[name] for name in names}
    prepared = _Prepared(
        sql=compiled.string,
        names=names,
        processors=tuple(binds[name].type.bind_processor(dialect) for name in names),
        fixed={name: bind.effective_value for name, bind in binds.items()},
    )
    _cache[key] = (statement, prepared)
    return prepared
