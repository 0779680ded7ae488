"""The example deployment files (README: Running at scale) as they are written: their commands
parse, their settings exist, and systemd waits long enough for a stopping worker."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
from pathlib import Path

import pytest
import typer

from gatehouse.cli import app
from gatehouse.mail.worker import stop_seconds
from gatehouse.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


@pytest.mark.parametrize(
    ("name", "instance"), [("gatehouse-worker@.service", "1"), ("gatehouse-web@.service", "8001")]
)
def test_each_units_command_is_one_gatehouse_takes(name: str, instance: str) -> None:
    """ExecStart, with the instance put in, parses as `gatehouse` parses its arguments."""
    command = shlex.split(unit(name)["Service"]["ExecStart"].replace("%i", instance))
    assert command[0] == "/opt/gatehouse/.venv/bin/gatehouse"
    group = typer.main.get_command(app)
    subcommand = group.get_command(group.context_class(group), command[1])  # type: ignore[attr-defined]
    assert subcommand is not None
    subcommand.make_context(command[1], command[2:])  # raises on an unknown or bad option


def test_the_worker_unit_waits_for_in_flight_sends_before_killing() -> None:
    """TimeoutStopSec is longer than a stopping worker may need at the default timeouts (a
    send of 10 + 45 s, then 5 s of last writes): it was 40 s, and systemd's SIGKILL cut such a
    send short."""
    needed = stop_seconds(Settings())
    assert int(unit("gatehouse-worker@.service")["Service"]["TimeoutStopSec"]) > needed


def test_the_example_environment_names_only_real_settings() -> None:
    """Every GATEHOUSE_* variable of env.example is a setting (a misspelt one is ignored)."""
    names = [
        line.split("=", 1)[0].removeprefix("GATEHOUSE_").lower()
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line.startswith("GATEHOUSE_")
    ]
    assert names and set(names) <= set(Settings.model_fields)


def systemd_values(text: str) -> dict[str, str]:
    """EnvironmentFile= as systemd reads these lines: KEY=VALUE, one pair of quotes removed."""
    pairs = (line.split("=", 1) for line in text.splitlines() if line.startswith("GATEHOUSE_"))
    return {name: value.strip().removeprefix('"').removesuffix('"') for name, value in pairs}


def test_the_example_environment_reads_the_same_in_a_shell_and_in_systemd() -> None:
    """One-off commands (`gatehouse db upgrade`) take the file through a shell: its unquoted
    sender ("Example Identity <no-reply@...>") was a shell syntax error."""
    path = DEPLOY / "env.example"
    shell = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; env', "sh", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    )
    from_shell = dict(
        line.split("=", 1) for line in shell.stdout.splitlines() if line.startswith("GATEHOUSE_")
    )
    assert from_shell == systemd_values(path.read_text())
    assert from_shell["GATEHOUSE_DEFAULT_SENDER"] == "Example Identity <no-reply@id.example.com>"
