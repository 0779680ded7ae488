"""Fixtures the delivery tests share: a test PKI of their own and a DeliverySetup on the clean
test database (its runtimes and workers closed afterwards)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gatehouse.settings import Settings
from tests.support.delivery import DeliverySetup
from tests.support.smtp_servers import Pki


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
async def setup(clean_db: Settings, pki: Pki) -> AsyncIterator[DeliverySetup]:
    built = DeliverySetup(clean_db, pki)
    yield built
    await built.close()
