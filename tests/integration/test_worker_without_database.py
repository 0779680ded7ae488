"""A worker whose database cannot be reached waits for it, saying so in one log line per try
(README: Running at scale), not a traceback each time."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from gatehouse.mail.worker import Worker
from gatehouse.runtime import build_runtime
from gatehouse.settings import Settings

KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="


async def test_a_worker_without_its_database_logs_one_line_per_try(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Connection refused: one warning naming the database setting and the next try; the URL
    (it may hold a password) is not in it."""
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://gatehouse:s3cret-pw@127.0.0.1:1/gatehouse",
        secret_keys=KEY,
        worker_poll_seconds=0.05,
    )
    runtime = build_runtime(settings)
    worker = Worker(runtime)
    try:
        with caplog.at_level(logging.INFO, logger="gatehouse.mail.worker"):
            running = asyncio.create_task(worker.run())
            await asyncio.sleep(0.5)
            worker.stop()
            await asyncio.wait_for(running, 30)
    finally:
        await runtime.close()
    tries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert tries and all(r.exc_info is None for r in caplog.records)
    assert tries[0].getMessage() == (
        f"delivery worker {worker.owner}: The database cannot be reached "
        "(GATEHOUSE_DATABASE_URL): Connection refused; trying again in 0.1 s"
    )
    assert "s3cret-pw" not in caplog.text
