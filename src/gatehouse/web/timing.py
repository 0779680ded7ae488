"""Answers that take the same time whatever happened: a floor under the response time of
requests whose timing could otherwise tell whether an account exists."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# Longer than the work of any path of forgot password (a lookup, a lock, three inserts, a
# commit), so unknown, inactive, at-limit and e-mailed users all answer after about this long.
ANSWER_FLOOR_SECONDS = 0.25
# A failed logon also checks a password (argon2: 64 MiB and tens of milliseconds of CPU, far
# more on a busy machine), then for an existing user locks, counts and perhaps queues the
# Locked Password e-mail: its floor leaves room for all of that.
LOGON_FLOOR_SECONDS = 0.5


def started() -> float:
    """The moment a request's work begins, for ``wait_out_floor``."""
    return time.perf_counter()


async def wait_out_floor(since: float, seconds: float = ANSWER_FLOOR_SECONDS) -> None:
    """Return no sooner than ``seconds`` after ``since`` (a ``started()``)."""
    remaining = seconds - (time.perf_counter() - since)
    if remaining > 0:
        await asyncio.sleep(remaining)


@asynccontextmanager
async def answer_floor(seconds: float = ANSWER_FLOOR_SECONDS) -> AsyncIterator[None]:
    """Leave the block no sooner than ``seconds`` after entering it."""
    since = started()
    yield
    await wait_out_floor(since, seconds)
