"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when GATEHOUSE_TEST_DATABASE is
``postgres``), settings built per test run, and a live server with its dev mail server."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from gatehouse.db.migrate import upgrade
from gatehouse.db.models import Base
from gatehouse.settings import Settings
from tests.support.live import (
    TEST_SECRET_KEY,
    LiveServer,
    free_port,
    run_in_thread,
    start_live_server,
)
from tests.support.moto_ses import PLATFORM_DOMAIN, MotoSes, start_moto
from tests.support.moto_ses import REGION as SES_REGION
from tests.support.postgres import private_database
from tests.support.smtp_servers import Pki

REQUIRE_ALL = os.environ.get("GATEHOUSE_TEST_REQUIRE_ALL") == "1"


def _database_url(data_dir: Path) -> str:
    if os.environ.get("GATEHOUSE_TEST_DATABASE") == "postgres":
        url = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL", "")
        if not url:
            pytest.fail("GATEHOUSE_TEST_DATABASE=postgres needs GATEHOUSE_TEST_POSTGRES_URL")
        return url
    return f"sqlite+aiosqlite:///{data_dir / 'test.sqlite3'}"


@contextmanager
def _test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite in a temporary directory, or a fresh PostgreSQL database dropped afterwards."""
    url = _database_url(tmp_path_factory.mktemp("db"))
    if not url.startswith("postgresql"):
        yield url
        return
    with private_database(url, "gatehouse_test") as private:
        yield private


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The live server's database."""
    with _test_database(tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def worker_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second database for tests that run their own workers: the live server's in-process
    worker never sees it, so it cannot take their messages."""
    with _test_database(tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def smtp_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The test CA the live server trusts (as the operator's GATEHOUSE_SMTP_CA_FILE), so tests can
    point tenants at their own trustme-certified SMTP servers."""
    return Pki(tmp_path_factory.mktemp("smtp-pki"))


@pytest.fixture(scope="session")
def moto_ses() -> Iterator[MotoSes]:
    """A local moto server as the platform's Amazon SES account."""
    moto = start_moto()
    yield moto
    moto.stop()


@pytest.fixture(scope="session")
def base_settings(
    tmp_path_factory: pytest.TempPathFactory, smtp_pki: Pki, database_url: str, moto_ses: MotoSes
) -> Settings:
    """Settings of the whole run, on a freshly migrated database."""
    data_dir = tmp_path_factory.mktemp("gatehouse-data")
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=database_url,
        base_domain="localhost",
        public_port=free_port(),
        secret_keys=TEST_SECRET_KEY,
        allow_private_mail_hosts=True,
        dev=True,
        worker_poll_seconds=0.1,
        smtp_connect_timeout=5,
        smtp_timeout=10,
        smtp_ca_file=smtp_pki.ca_file,
        ses_region=SES_REGION,
        ses_endpoint_url=moto_ses.url,
        ses_default_domain=PLATFORM_DOMAIN,
    )
    run_in_thread(lambda: upgrade(settings))  # Alembic runs a loop of its own
    return settings


async def _truncate(url: str) -> None:
    """Empty every table, once the previous test's due mail has left (so none lands later)."""
    sqlite = url.startswith("sqlite")
    engine = create_async_engine(url, connect_args={"timeout": 30} if sqlite else {})
    for _ in range(100):
        async with engine.connect() as connection:
            busy = await connection.scalar(
                text(
                    "SELECT count(*) FROM outbox_messages WHERE status = 'sending'"
                    " OR (status = 'queued' AND attempts = 0)"
                )
            )
        if not busy:
            break
        await asyncio.sleep(0.05)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    for attempt in range(5):
        try:
            async with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                else:
                    for table in tables:
                        await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608
            break
        except DBAPIError as exc:
            # A live worker claiming at this moment locks tables in another order: PostgreSQL
            # then aborts one side as a deadlock. Try again; the claim is short.
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.1)
    await engine.dispose()


@pytest.fixture(scope="session")
def live_session(base_settings: Settings) -> Iterator[LiveServer]:
    server = start_live_server(base_settings)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def worker_settings(base_settings: Settings, worker_database_url: str) -> Settings:
    """base_settings on the workers' own database, migrated."""
    settings = base_settings.model_copy(update={"database_url": worker_database_url})
    run_in_thread(lambda: upgrade(settings))
    return settings


@pytest.fixture
def clean_db(worker_settings: Settings) -> Iterator[Settings]:
    """An empty database of the test's own (no live server works on it)."""
    run_in_thread(lambda: _truncate(worker_settings.resolved_database_url()))
    yield worker_settings


@pytest.fixture
def live(live_session: LiveServer, base_settings: Settings) -> LiveServer:
    """The live server on an empty database with an empty mailbox."""
    run_in_thread(lambda: _truncate(base_settings.resolved_database_url()))
    live_session.devmail.mailbox.clear()
    return live_session


@pytest.fixture
def demo(live: LiveServer) -> LiveServer:
    """The live server with the demo tenant, administrator and user."""
    from gatehouse.processes.demo import ensure_demo

    async def seed(runtime: object) -> None:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            await ensure_demo(session, settings=live.settings)

    live.run(seed)
    return live


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop on the main thread for
    the rest of the session, which async tests after it could not use. PostgreSQL-only tests need
    GATEHOUSE_TEST_POSTGRES_URL; CI requires them to run."""
    items.sort(key=lambda item: "tests/browser/" in str(item.path))
    if os.environ.get("GATEHOUSE_TEST_POSTGRES_URL"):
        return
    if REQUIRE_ALL and any(item.get_closest_marker("postgres") for item in items):
        raise pytest.UsageError("PostgreSQL tests are required: set GATEHOUSE_TEST_POSTGRES_URL")
    skip = pytest.mark.skip(reason="set GATEHOUSE_TEST_POSTGRES_URL to run PostgreSQL tests")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)
