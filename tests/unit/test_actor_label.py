"""How the console names who made a change."""

from __future__ import annotations

import pytest

from gatehouse.web.pages import actor_label


@pytest.mark.parametrize(
    ("actor", "label"),
    [
        ("admin:ann@acme.test", "ann@acme.test"),
        ("client:a1c31361-1812-4122-8774-70ee0366e6e9 (ops (eu))", "API client ops (eu)"),
        ("user:jo@acme.test", "jo@acme.test (the user)"),
        ("cli", "command line"),
        ("test", "test"),
        ("admin:", "admin:"),
        ("user:", "user:"),
    ],
)
def test_actor_label(actor: str, label: str) -> None:
    assert actor_label(actor) == label
