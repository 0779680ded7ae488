"""Shutdown of `serve`'s in-process worker when a send does not finish in time."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import pytest

from gatehouse.mail.worker import Worker, stop_seconds
from gatehouse.settings import Settings
from gatehouse.web import app


class StuckWorker:
    """A worker whose send in flight never ends."""

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


async def test_a_worker_stuck_past_the_stop_budget_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = StuckWorker()
    task = asyncio.create_task(asyncio.sleep(60))
    with caplog.at_level(logging.WARNING, logger="gatehouse.web.app"):
        await app._stop_worker(cast(Worker, worker), task, within=0.05)  # no TimeoutError out
    assert worker.stopped and task.cancelled()
    assert [r.getMessage() for r in caplog.records] == [
        "the delivery worker did not stop within 0.05 s; the messages it held are sent once their "
        "leases run out"
    ]


def test_the_stop_budget_covers_the_longest_send() -> None:
    """`serve` waits for its worker as long as a send may take (a connection opened, then a
    transaction, 10 + 45 s by default) and the last write of outcomes (5 s): it waited 35 s."""
    assert stop_seconds(Settings()) == 60.0
    slow = Settings(smtp_connect_timeout=20, smtp_timeout=60)
    assert stop_seconds(slow) == 20 + 90 + 5
