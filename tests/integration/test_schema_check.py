"""Commands on a database without this release's migrations stop with one line saying to run
`gatehouse db upgrade`: before, `serve` started, answered every page with 500 (and /healthz
with "ok"), and the others printed an SQL traceback ("no such table: tenants")."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from gatehouse.cli import app
from gatehouse.db.migrate import MIGRATIONS_DIR, upgrade
from gatehouse.settings import Settings

runner = CliRunner()
SCRIPTS = ScriptDirectory(str(MIGRATIONS_DIR))
HEAD = str(SCRIPTS.get_current_head())  # this release's last migration (a new one moves it)
PREVIOUS = str(SCRIPTS.get_revision(HEAD).down_revision)
GOOD_KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="
ADVICE = "run `gatehouse db upgrade` first (once per release, before the new processes start)."


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite under tmp_path (never the suite's PostgreSQL), one good key, dev mode."""
    for name in ["DATABASE_URL", "DEFAULT_SMTP_URL", "SMTP_CA_FILE", "PUBLIC_PORT"]:
        monkeypatch.delenv(f"GATEHOUSE_{name}", raising=False)
    monkeypatch.setenv("GATEHOUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GATEHOUSE_SECRET_KEYS", GOOD_KEY)
    monkeypatch.setenv("GATEHOUSE_DEV", "1")


def said(result: Result) -> str:
    return " ".join(result.output.split())


@pytest.mark.parametrize("command", [["tenant", "list"], ["demo"], ["worker"]])
def test_an_empty_database_stops_a_command_with_the_way_out(command: list[str]) -> None:
    """No migrations at all: one line, exit status 1, no traceback."""
    result = runner.invoke(app, command)
    assert result.exit_code == 1, result.output
    assert said(result) == (
        f"Error: The database is at revision none (empty), and this release needs {HEAD}: " + ADVICE
    )


def test_a_database_of_an_older_release_names_both_revisions(tmp_path: Path) -> None:
    """A database one migration behind names where it is and what this release needs; after
    `db upgrade` the command runs."""
    upgrade(Settings(_env_file=None, data_dir=tmp_path), PREVIOUS)
    result = runner.invoke(app, ["tenant", "list"])
    assert result.exit_code == 1, result.output
    assert said(result) == (
        f"Error: The database is at revision {PREVIOUS}, and this release needs {HEAD}: " + ADVICE
    )
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["tenant", "list"]).exit_code == 0


def test_a_database_of_a_later_release_serves_this_one(tmp_path: Path) -> None:
    """A revision this release does not know is a later release's (the database is upgraded
    before the processes during a rolling upgrade): the command runs."""
    settings = Settings(_env_file=None, data_dir=tmp_path)
    upgrade(settings, HEAD)
    engine = create_engine(settings.resolved_database_url().replace("+aiosqlite", ""))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0001'"))
    engine.dispose()
    result = runner.invoke(app, ["tenant", "list"])
    assert result.exit_code == 0, result.output


def test_serve_does_not_start_on_an_empty_database(tmp_path: Path) -> None:
    """`serve` stops before listening (a child process: a server that does start is stopped
    by the timeout, and the test fails)."""
    result = subprocess.run(
        [sys.executable, "-m", "gatehouse", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 1, result.stderr
    assert " ".join(result.stderr.split()) == (
        f"Error: The database is at revision none (empty), and this release needs {HEAD}: " + ADVICE
    )


@pytest.mark.parametrize(
    ("host", "option", "reason"),
    [("127.0.0.1", "--port", "Address already in use"), ("192.0.2.1", "--host", None)],
)
def test_serve_on_an_address_it_cannot_listen_on_stops_at_once(
    tmp_path: Path, host: str, option: str, reason: str | None
) -> None:
    """A port in use (or an address not this machine's) stops `serve` with one line naming the
    option, before the application and its in-process worker start (uvicorn's own bind came
    after them: the worker could claim a batch, and its traceback ended the command)."""
    upgrade(Settings(_env_file=None, data_dir=tmp_path), HEAD)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gatehouse", "serve", "--host", host, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200", "GATEHOUSE_DEV": "0"},
        )
    assert result.returncode == 1, result.stderr
    expected = f"Error: {option}: cannot listen on {host}:{port}: "
    said_line = " ".join(result.stderr.split())
    assert said_line.startswith(expected) and said_line.count("Error:") == 1, said_line
    if reason is not None:
        assert said_line == f"{expected}{reason}."
    assert "delivery worker" not in result.stderr + result.stdout
