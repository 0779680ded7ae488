"""Playwright drives Debian's Chromium (no downloaded browser). Without Chromium the browser
tests are skipped locally, and fail when GATEHOUSE_TEST_REQUIRE_ALL=1 (CI)."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from tests.conftest import REQUIRE_ALL

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    if os.path.exists(CHROMIUM):
        return
    if REQUIRE_ALL:
        raise pytest.UsageError(f"Chromium is required (GATEHOUSE_TEST_REQUIRE_ALL=1): {CHROMIUM}")
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
