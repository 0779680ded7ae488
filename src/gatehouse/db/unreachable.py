"""A database that cannot be reached, told to the operator in one line: the command's error when
the server refuses the connection, the name does not resolve or the database does not exist,
instead of a traceback. Never the URL itself: it may hold the password."""

from __future__ import annotations

import os

from sqlalchemy.exc import DBAPIError

UNREACHABLE = "The database cannot be reached (GATEHOUSE_DATABASE_URL): {reason}"


def unreachable_reason(exc: BaseException) -> str | None:
    """Why the connection failed, when ``exc`` is a failure to connect (an OSError, or a
    driver error raised before any statement); None for anything else, which is no question
    of reaching the database."""
    if isinstance(exc, DBAPIError):
        if exc.statement is not None:
            return None
        return UNREACHABLE.format(reason=_driver_text(exc.orig))
    if isinstance(exc, OSError):
        return UNREACHABLE.format(reason=_system_text(exc))
    return None


def _system_text(error: OSError) -> str:
    """The system's words for the error number ("Connection refused"), the same whichever
    event loop raised it (asyncio's says "Connect call failed (...)"); else its own text
    (a name that does not resolve)."""
    if error.errno is not None and error.errno > 0:
        return os.strerror(error.errno)
    return error.strerror or str(error) or type(error).__name__


def _driver_text(error: BaseException | None) -> str:
    """The driver's own message (asyncpg's arrives as "<class '...'>: text")."""
    text = str(error) if error is not None else ""
    _, marker, rest = text.partition(">: ")
    return (rest if marker else text).strip() or type(error).__name__
