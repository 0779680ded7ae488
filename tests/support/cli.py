"""The ``gatehouse`` command line in a test: it reads GATEHOUSE_* from the environment."""

from __future__ import annotations

import pytest

from gatehouse.settings import Settings


def point_cli_at(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, *, with_secret_keys: bool = True
) -> None:
    """Make the CLI use ``settings``' data directory, database, base domain and public port
    (and secret keys, unless a test sets its own)."""
    values = {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.resolved_database_url(),
        "BASE_DOMAIN": settings.base_domain,
        "PUBLIC_PORT": str(settings.public_port),
    }
    if with_secret_keys:
        values["SECRET_KEYS"] = settings.secret_keys
    for name, value in values.items():
        monkeypatch.setenv(f"GATEHOUSE_{name}", value)
