"""Statements run on a PostgreSQL server outside any database a test works in (creating,
dropping or closing databases), and a private database made and dropped that way."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.live import run_in_thread


async def admin(server_url: str, statements: list[str]) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def private_database(server_url: str, prefix: str, *, options: str = "") -> Iterator[str]:
    """The URL of a new, empty database on ``server_url`` (``prefix`` and random hex, so
    concurrent runs on one server never collide), dropped afterwards. ``options`` go after
    CREATE DATABASE (a locale of its own, say)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    run_in_thread(lambda: admin(server_url, [f'CREATE DATABASE "{name}" {options}']))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        run_in_thread(lambda: admin(server_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))
