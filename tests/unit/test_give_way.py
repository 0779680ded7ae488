"""A batch's Python work (claimed rows, jobs) lets the event loop run every GIVE_WAY_EVERY
items, so SMTP replies of the batches being sent do not wait behind a whole batch."""

from __future__ import annotations

import asyncio
import contextlib

from gatehouse.mail.dispatcher import GIVE_WAY_EVERY, give_way


async def test_other_tasks_run_once_every_so_many_items() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # the ticker is running
    ran_after = []
    for done in range(GIVE_WAY_EVERY * 2 + GIVE_WAY_EVERY // 2):  # items done so far
        before = ticks
        await give_way(done)
        if ticks != before:
            ran_after.append(done)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert ran_after == [GIVE_WAY_EVERY, 2 * GIVE_WAY_EVERY]
