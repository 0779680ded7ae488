"""/healthz and /metrics: 200 while the database answers, 503 (not a 500 and a traceback) once it
does not, so a load balancer takes the process out instead of seeing a crash."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from gatehouse.db.migrate import MIGRATIONS_DIR, upgrade
from gatehouse.settings import Settings
from tests.support.live import LiveServer, start_live_server

KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="
SCRIPTS = ScriptDirectory(str(MIGRATIONS_DIR))
HEAD = str(SCRIPTS.get_current_head())
PREVIOUS = str(SCRIPTS.get_revision(HEAD).down_revision)


def get_once(settings: Settings, path: str) -> httpx.Response:
    """``path`` on a live server of its own with ``settings``, stopped afterwards."""
    server = start_live_server(settings)
    try:
        with server.client(None) as client:
            return client.get(path)
    finally:
        server.stop()


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://gatehouse@127.0.0.1:1/gatehouse",
        secret_keys=KEY,
        run_worker=False,
    )
    answer = get_once(settings, "/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "not answering"}


def test_healthz_is_200_when_the_database_answers(live: LiveServer) -> None:
    with live.client(None) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_metrics_is_503_without_a_traceback_when_the_database_does_not_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A scrape while the database is away: 503 and one warning; it was a 500 with a traceback
    in the log at every scrape."""
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://gatehouse@127.0.0.1:1/gatehouse",
        secret_keys=KEY,
        run_worker=False,
    )
    with caplog.at_level(logging.WARNING):
        answer = get_once(settings, "/metrics")
    assert (answer.status_code, answer.text) == (
        503,
        "503 Service Unavailable\n\nThe database is not answering.\n",
    )
    assert [r.exc_info for r in caplog.records if r.exc_info] == []
    assert "metrics: the database does not answer: ConnectionRefusedError" in caplog.messages


def test_a_web_process_without_a_worker_leaves_the_delivery_figures_out(
    live: LiveServer, tmp_path: Path
) -> None:
    """With GATEHOUSE_RUN_WORKER=0 the process sends nothing: its sent, failed, retried and
    latency would say 0 for ever beside the workers' (README: Operations). The queue's depth,
    counted in the database, stays."""
    settings = live.settings.model_copy(
        update={"data_dir": tmp_path, "public_port": None, "run_worker": False}
    )
    answer = get_once(settings, "/metrics")
    assert answer.status_code == 200
    figures = [line.split()[0] for line in answer.text.splitlines() if line[:1] != "#"]
    assert figures == ["gatehouse_mail_queued"]


def test_healthz_is_503_until_the_database_has_this_releases_migrations(tmp_path: Path) -> None:
    """A process started while the database was away could not check its migrations at
    start: /healthz said "ok" over a database every page then failed on. It checks until
    they are applied, naming what to run."""
    settings = Settings(
        _env_file=None, data_dir=tmp_path, secret_keys=KEY, run_worker=False, dev=False
    )
    upgrade(settings, PREVIOUS)
    server = start_live_server(settings)
    try:
        with server.client(None) as client:
            behind = client.get("/healthz")
            upgrade(settings)
            upgraded = client.get("/healthz")
    finally:
        server.stop()
    assert behind.status_code == 503
    assert behind.json() == {
        "status": "unavailable",
        "database": f"The database is at revision {PREVIOUS}, and this release needs {HEAD}: "
        "run `gatehouse db upgrade` first (once per release, before the new processes start).",
    }
    assert (upgraded.status_code, upgraded.json()) == (200, {"status": "ok"})
