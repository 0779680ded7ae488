"""What a worker tells the operator: a database that cannot be reached in one log line per try
(README: Running at scale), not a traceback each time; a missing default mail server at start."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from gatehouse.mail.worker import Worker
from gatehouse.runtime import build_runtime
from gatehouse.settings import Settings

KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="


async def run_briefly(settings: Settings) -> Worker:
    """Start a worker, let it try for half a second, stop it."""
    runtime = build_runtime(settings)
    worker = Worker(runtime)
    try:
        running = asyncio.create_task(worker.run())
        await asyncio.sleep(0.5)
        worker.stop()
        await asyncio.wait_for(running, 30)
    finally:
        await runtime.close()
    return worker


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
        default_smtp_url="smtp://mail.example.test:587",
    )
    with caplog.at_level(logging.INFO, logger="gatehouse.mail.worker"):
        worker = await run_briefly(settings)
    tries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert tries and all(r.exc_info is None for r in caplog.records)
    assert tries[0].getMessage() == (
        f"delivery worker {worker.owner}: The database cannot be reached "
        "(GATEHOUSE_DATABASE_URL): Connection refused; trying again in 0.1 s"
    )
    assert "s3cret-pw" not in caplog.text
    assert [m for m in caplog.messages if "purging" in m] == []  # said by the claims already


async def test_a_worker_without_a_default_mail_server_says_so_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without GATEHOUSE_DEFAULT_SMTP_URL every e-mail on the default server waits; the
    operator learnt it only from the tenants' delivery logs (a `gatehouse worker` in dev mode
    too: the development mail server runs in `serve` only)."""
    settings = Settings(data_dir=tmp_path, secret_keys=KEY, worker_poll_seconds=0.05, dev=True)
    with caplog.at_level(logging.WARNING, logger="gatehouse.mail.worker"):
        worker = await run_briefly(settings)
    assert caplog.messages[0] == (
        f"delivery worker {worker.owner}: GATEHOUSE_DEFAULT_SMTP_URL is not set, so every "
        "e-mail of the tenants on the platform's default server waits for it"
    )
