"""Fixtures the delivery tests share: a test PKI of their own, a DeliverySetup on the clean
test database (its runtimes and workers closed afterwards), a runtime with one tenant, and a
PostgreSQL database of a test's own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gatehouse.db.migrate import upgrade
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from tests.support.delivery import DeliverySetup, onboard_acme
from tests.support.live import run_in_thread
from tests.support.postgres import private_database
from tests.support.smtp_servers import Pki


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
async def setup(clean_db: Settings, pki: Pki) -> AsyncIterator[DeliverySetup]:
    built = DeliverySetup(clean_db, pki)
    yield built
    await built.close()


@pytest.fixture
async def acme_runtime(clean_db: Settings) -> AsyncIterator[Runtime]:
    """A runtime on the clean test database with one tenant, "acme", and its administrator
    (whose password is set: no activation e-mail in the queue)."""
    runtime = build_runtime(clean_db)
    await onboard_acme(runtime)
    yield runtime
    await runtime.close()


@pytest.fixture
def own_postgres(worker_settings: Settings) -> Iterator[tuple[Settings, str]]:
    """Settings on a migrated PostgreSQL database of this test's own (a test may take it away,
    or change its settings), and the server's URL for the test's own admin connection."""
    server_url = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
    with private_database(server_url, "gatehouse_own") as url:
        settings = worker_settings.model_copy(update={"database_url": url})
        run_in_thread(lambda: upgrade(settings))
        yield settings, server_url
