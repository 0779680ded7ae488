"""HEAD asks what GET would answer, without the body: monitors and link checkers use it."""

from __future__ import annotations

import pytest

from tests.support.live import LiveServer


@pytest.mark.parametrize(
    ("tenant", "path", "kind"),
    [("demo", "/", "text/html"), (None, "/healthz", "application/json")],
)
def test_head_answers_as_get_without_a_body(
    demo: LiveServer, tenant: str | None, path: str, kind: str
) -> None:
    with demo.client(tenant) as client:
        got = client.get(path)
        head = client.head(path)
    assert (head.status_code, got.status_code) == (200, 200)
    assert head.content == b""
    assert head.headers["content-type"].startswith(kind)
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["x-frame-options"] == got.headers["x-frame-options"]


def test_head_follows_get_and_no_other_method(demo: LiveServer) -> None:
    """A console page without a session redirects to sign-in for HEAD as for GET; a path that
    only takes POST still refuses HEAD."""
    with demo.client() as client:
        console = client.head("/admin")
        post_only = client.head("/logout")
    assert console.status_code == 303
    assert console.headers["location"].startswith("/admin/signin")
    assert post_only.status_code == 405 and post_only.content == b""
