"""Shutdown of `serve`'s in-process worker when a send does not finish in time."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import pytest

from gatehouse.mail.worker import Worker
from gatehouse.web import app


class StuckWorker:
    """A worker whose send in flight never ends."""

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


async def test_a_worker_stuck_past_the_stop_budget_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app, "WORKER_STOP_SECONDS", 0.05)
    worker = StuckWorker()
    task = asyncio.create_task(asyncio.sleep(60))
    with caplog.at_level(logging.WARNING, logger="gatehouse.web.app"):
        await app._stop_worker(cast(Worker, worker), task)  # no TimeoutError out of shutdown
    assert worker.stopped and task.cancelled()
    assert [r.getMessage() for r in caplog.records] == [
        "the delivery worker did not stop within 0.05 s; the messages it held are sent once their "
        "leases run out"
    ]
