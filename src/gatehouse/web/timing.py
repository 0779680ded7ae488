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


@asynccontextmanager
async def answer_floor(seconds: float = ANSWER_FLOOR_SECONDS) -> AsyncIterator[None]:
    """Leave the block no sooner than ``seconds`` after entering it."""
    started = time.perf_counter()
    yield
    remaining = seconds - (time.perf_counter() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
