"""`gatehouse db upgrade` on PostgreSQL needs no data directory: deploy/env.example names
/var/lib/gatehouse, which the operator running the upgrade may not have made nor be able to."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gatehouse.cli import app
from gatehouse.settings import Settings
from tests.support.cli import point_cli_at


@pytest.mark.postgres
def test_upgrade_on_postgres_leaves_the_data_directory_alone(
    own_postgres: tuple[Settings, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data directory that cannot be made: "Database is up to date." (it was "The database
    cannot be reached (GATEHOUSE_DATABASE_URL): Not a directory", the database answering)."""
    settings, _ = own_postgres
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    point_cli_at(monkeypatch, settings.model_copy(update={"data_dir": blocker / "gatehouse"}))
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert (result.exit_code, " ".join(result.output.split())) == (0, "Database is up to date.")
    assert blocker.read_text() == "not a directory"
