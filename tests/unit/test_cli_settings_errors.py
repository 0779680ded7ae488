"""A GATEHOUSE_* setting that cannot work stops every command with one line naming the variable
and exit status 1, never a traceback; so does a database that cannot be reached."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gatehouse.cli import app

runner = CliRunner()
KEY_ADVICE = (
    "A Fernet key is 32 url-safe base64-encoded bytes; make one with: python -c 'from "
    "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
URL_FORMS = "use postgresql+asyncpg://user:password@host/database or sqlite+aiosqlite:///path/file."
GOOD_KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean environment: SQLite under tmp_path, one good key."""
    for name in [
        "DATABASE_URL",
        "DEFAULT_SMTP_URL",
        "SMTP_CA_FILE",
        "PUBLIC_PORT",
        "PUBLIC_SCHEME",
        "DEFAULT_SENDER",
        "BASE_DOMAIN",
        "SMTP_EHLO_NAME",
        "DEV",
        "WORKER_BATCH_SIZE",
        "RETRY_FIRST_SECONDS",
        "RETRY_MAX_SECONDS",
        "SES_REGION",
        "SES_DEFAULT_DOMAIN",
        "SES_ENDPOINT_URL",
    ]:
        monkeypatch.delenv(f"GATEHOUSE_{name}", raising=False)
    monkeypatch.setenv("GATEHOUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GATEHOUSE_SECRET_KEYS", GOOD_KEY)


def said(result: Result) -> str:
    """The output as one line (several wrong settings are one line each)."""
    return " ".join(result.output.split())


def assert_refused(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert said(result) == f"Error: {message}"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["tenant", "list"], ["worker"], ["db", "upgrade"]])
def test_a_key_that_is_no_fernet_key_is_named(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEHOUSE_SECRET_KEYS", f"{GOOD_KEY},not-a-key")
    assert_refused(
        runner.invoke(app, command),
        f"GATEHOUSE_SECRET_KEYS: key 2 of 2 is not a Fernet key. {KEY_ADVICE}",
    )


def test_no_key_at_all_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_SECRET_KEYS", " , ")
    assert_refused(
        runner.invoke(app, ["tenant", "list"]), f"GATEHOUSE_SECRET_KEYS: no key. {KEY_ADVICE}"
    )


@pytest.mark.parametrize("command", [["tenant", "list"], ["db", "upgrade"]])
def test_a_data_directory_that_cannot_be_made_is_named(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data directory under a file (or without the right to make it) is one line naming the
    variable; it was a Python traceback."""
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("GATEHOUSE_DATA_DIR", str(tmp_path / "file" / "data"))
    assert_refused(
        runner.invoke(app, command),
        f"GATEHOUSE_DATA_DIR: {tmp_path / 'file' / 'data'} cannot be made: Not a directory.",
    )


def test_every_value_of_the_wrong_type_or_range_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_DEV", "maybe")
    monkeypatch.setenv("GATEHOUSE_WORKER_BATCH_SIZE", "0")
    assert_refused(
        runner.invoke(app, ["db", "upgrade"]),
        "GATEHOUSE_DEV: Input should be a valid boolean, unable to interpret input (got "
        "'maybe'). GATEHOUSE_WORKER_BATCH_SIZE: Input should be greater than or equal to 1 "
        "(got '0').",
    )


def test_a_delivery_log_kept_less_than_a_day_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_DELIVERY_LOG_DAYS", "0")
    assert_refused(
        runner.invoke(app, ["worker"]),
        "GATEHOUSE_DELIVERY_LOG_DAYS: Input should be greater than or equal to 1 (got '0').",
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgres://db/gatehouse", "unknown database or driver"),
        ("not a url", "not a database URL"),
        ("postgresql://db/gatehouse", "the driver psycopg is not an asyncio driver"),
    ],
)
def test_a_database_url_of_no_usable_form_is_named(
    url: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEHOUSE_DATABASE_URL", url)
    assert_refused(
        runner.invoke(app, ["tenant", "list"]), f"GATEHOUSE_DATABASE_URL: {why}: {URL_FORMS}"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.test", "must look like smtps://host:465 or smtp://host:587."),
        (
            "smtp://mail.example.test:abc",
            "the port must be a number from 1 to 65535, as in smtps://host:465.",
        ),
    ],
)
def test_a_default_smtp_url_that_cannot_work_stops_every_command_at_once(
    url: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the commands (the worker too) started and every e-mail on the default server
    failed with "Internal error (ValidationError)" in the tenants' delivery logs. (The worker
    goes through the same check as db upgrade; invoked here, unchecked, it would run on.)"""
    monkeypatch.setenv("GATEHOUSE_DEFAULT_SMTP_URL", url)
    assert_refused(runner.invoke(app, ["db", "upgrade"]), f"GATEHOUSE_DEFAULT_SMTP_URL: {message}")


def test_a_longest_retry_delay_below_the_first_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries that could not back off (the longest delay shorter than the first) are refused."""
    monkeypatch.setenv("GATEHOUSE_RETRY_FIRST_SECONDS", "120")
    monkeypatch.setenv("GATEHOUSE_RETRY_MAX_SECONDS", "60")
    assert_refused(
        runner.invoke(app, ["worker"]),
        "GATEHOUSE_RETRY_MAX_SECONDS: must be at least GATEHOUSE_RETRY_FIRST_SECONDS (120).",
    )


SENDER_FORM = "Use an address, with a name if you like, as in Gatehouse <no-reply@example.com>."


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PUBLIC_PORT", "99999", "Input should be less than or equal to 65535 (got '99999')."),
        ("PUBLIC_PORT", "0", "Input should be greater than or equal to 1 (got '0')."),
        ("PUBLIC_SCHEME", "ftp", "Input should be 'http' or 'https' (got 'ftp')."),
        ("DEFAULT_SENDER", "nope", f"'nope' is not an e-mail address. {SENDER_FORM}"),
        (
            "DEFAULT_SENDER",
            "ops@mail example",
            f"'ops@mail example' is not an e-mail address. {SENDER_FORM}",
        ),
        (
            "BASE_DOMAIN",
            "id example",
            "'id example' is not a host name: use one as in id.example.com.",
        ),
        ("BASE_DOMAIN", "10.0.0.1", "'10.0.0.1' is not a host name: use one as in id.example.com."),
        (
            "SMTP_EHLO_NAME",
            "mail host",
            "'mail host' is not a host name: use this machine's public name, as in "
            "mail.example.com.",
        ),
        (
            "SMTP_EHLO_NAME",
            "[10.0.0.300]",
            "'[10.0.0.300]' is not a host name: use this machine's public name, as in "
            "mail.example.com.",
        ),
    ],
)
def test_a_link_or_sender_setting_that_cannot_work_is_named(
    variable: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings every e-mail's links and default From are made of: before, any value was
    taken (ftp:// links, port 99999, a From of "nope"), as README says none is."""
    monkeypatch.setenv(f"GATEHOUSE_{variable}", value)
    assert_refused(runner.invoke(app, ["tenant", "list"]), f"GATEHOUSE_{variable}: {message}")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEFAULT_SENDER", "Gatehouse <no-reply@gatehouse.localhost>"),
        ("DEFAULT_SENDER", "no-reply@mail"),
        ("BASE_DOMAIN", "id.example.com"),
        ("SMTP_EHLO_NAME", "mail.example.com"),
        ("SMTP_EHLO_NAME", "[192.0.2.1]"),
        ("SMTP_EHLO_NAME", "[IPv6:2001:db8::1]"),
        ("PUBLIC_SCHEME", "https"),
        ("PUBLIC_PORT", "443"),
    ],
)
def test_working_link_and_sender_settings_are_taken(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defaults' forms and a production's (the platform's own internal names too)."""
    monkeypatch.setenv(f"GATEHOUSE_{variable}", value)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_a_ca_file_that_cannot_be_loaded_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "missing.pem"
    monkeypatch.setenv("GATEHOUSE_SMTP_CA_FILE", str(missing))
    assert_refused(
        runner.invoke(app, ["tenant", "list"]),
        f"GATEHOUSE_SMTP_CA_FILE: cannot load {missing} as a PEM CA bundle: No such file or "
        "directory.",
    )


@pytest.mark.parametrize("command", [["tenant", "list"], ["db", "upgrade"]])
def test_a_database_that_cannot_be_reached_is_one_line_without_its_password(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "GATEHOUSE_DATABASE_URL", "postgresql+asyncpg://gatehouse:s3cret-pw@127.0.0.1:1/gatehouse"
    )
    result = runner.invoke(app, command)
    assert result.exit_code == 1, result.output
    assert said(result) == (
        "Error: The database cannot be reached (GATEHOUSE_DATABASE_URL): Connection refused"
    )
    assert "s3cret-pw" not in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_a_port_out_of_range() -> None:
    """Before, --port 99999 was passed on and the server listened on another port (a child
    process, so that a server that does start is stopped by the timeout)."""
    result = subprocess.run(
        [sys.executable, "-m", "gatehouse", "serve", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 2
    assert "Invalid value for '--port': Input should be less than or equal to 65535" in " ".join(
        result.stderr.split()
    )


def test_a_long_refusal_is_one_line_in_a_pipe(tmp_path: Path) -> None:
    """Under systemd or in a pipe (no terminal, no COLUMNS) the message is one line: Rich
    wrapped it at 80 columns, so journald showed it as three entries."""
    environment = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    environment |= {
        "GATEHOUSE_DATA_DIR": str(tmp_path),
        "GATEHOUSE_SECRET_KEYS": GOOD_KEY,
        "GATEHOUSE_DATABASE_URL": "not a url",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gatehouse", "tenant", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Error: GATEHOUSE_DATABASE_URL: not a database URL: {URL_FORMS}\n"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEV_SMTP_DEFAULT_PORT", "-1", "Input should be greater than or equal to 0 (got '-1')."),
        (
            "DEV_SMTP_CUSTOM_PORT",
            "70000",
            "Input should be less than or equal to 65535 (got '70000').",
        ),
        ("SMTP_TIMEOUT", "inf", "Input should be a finite number (got 'inf')."),
        ("RETRY_FIRST_SECONDS", "inf", "Input should be a finite number (got 'inf')."),
        (
            "SES_REGION",
            "eu west 1",
            "'eu west 1' is not an AWS region name: use one as in eu-west-1.",
        ),
        (
            "SES_DEFAULT_DOMAIN",
            "mail example",
            "'mail example' is not a domain name: use one as in example.com.",
        ),
        (
            "SES_ENDPOINT_URL",
            "localhost:5000",
            "'localhost:5000' is not an http or https URL: use one as in http://127.0.0.1:5000.",
        ),
    ],
)
def test_a_port_timeout_or_ses_setting_that_cannot_work_is_named(
    variable: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """These were taken: a dev listener port of -1 failed `serve` with a traceback, an endless
    timeout or first retry delay was accepted, and an SES region, domain or endpoint of no
    usable form failed every e-mail on the SES option as an internal error."""
    monkeypatch.setenv(f"GATEHOUSE_{variable}", value)
    assert_refused(runner.invoke(app, ["tenant", "list"]), f"GATEHOUSE_{variable}: {message}")


def test_a_working_ses_account_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """A region, a domain and a local endpoint as a development platform has them."""
    monkeypatch.setenv("GATEHOUSE_SES_REGION", "eu-west-1")
    monkeypatch.setenv("GATEHOUSE_SES_DEFAULT_DOMAIN", "mail.example.com")
    monkeypatch.setenv("GATEHOUSE_SES_ENDPOINT_URL", "http://127.0.0.1:5000")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
