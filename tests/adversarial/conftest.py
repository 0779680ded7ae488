"""Fixtures of the adversarial suite: two fully furnished tenants on the live server."""

from __future__ import annotations

import pytest

from tests.adversarial.world import World, build_world
from tests.support.live import LiveServer


@pytest.fixture
def worlds(live: LiveServer) -> tuple[World, World]:
    """Tenants A (``alpha``) and B (``bravo``), each with one of every resource."""
    return (
        build_world(live, "alpha", "Alpha Corp Aardvark"),
        build_world(live, "bravo", "Bravo Corp Buffalo"),
    )
