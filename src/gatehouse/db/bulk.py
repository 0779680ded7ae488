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
from sqlalchemy.sql.elements import BindParameter


@dataclass(frozen=True)
class _Column:
    name: str
    process: Callable[[Any], Any] | None
    fixed: Any  # the value bound in the statement itself (e.g. lease_owner=None), or _UNSET


@dataclass(frozen=True)
class _Prepared:
    sql: str
    columns: tuple[_Column, ...]  # in the statement's positional order

    def parameters(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's driver values. A processed value that is the very object the row before
        had in that column (a batch's one timestamp, say) is processed once."""
        last: list[tuple[object, Any]] = [(_UNSET, None)] * len(self.columns)
        params = []
        for row in rows:
            values = []
            for n, column in enumerate(self.columns):
                value = row.get(column.name, column.fixed)
                if value is _UNSET:
                    raise KeyError(f"no value for bind parameter {column.name!r}")
                if column.process is not None:
                    seen, processed = last[n]
                    if value is not seen:
                        processed = column.process(value)
                        last[n] = (value, processed)
                    value = processed
                values.append(value)
            params.append(tuple(values))
        return params


_UNSET = object()
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
    await connection.exec_driver_sql(prepared.sql, prepared.parameters(rows))


def _prepare(statement: UpdateBase, dialect: Dialect) -> _Prepared:
    key = (id(statement), dialect.name)
    cached = _cache.get(key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    compiled = statement.compile(dialect=dialect)
    # One column per position: with "?" placeholders a name used twice takes two positions.
    binds = [(name, compiled.binds[name]) for name in compiled.positiontup or ()]
    prepared = _Prepared(
        sql=compiled.string,
        columns=tuple(
            _Column(name, bind.type.bind_processor(dialect), _fixed_value(bind))
            for name, bind in binds
        ),
    )
    _cache[key] = (statement, prepared)
    return prepared


def _fixed_value(bind: BindParameter[Any]) -> Any:
    """The value a bind parameter carries in the statement; _UNSET if each row must give one."""
    return _UNSET if bind.required else bind.effective_value
