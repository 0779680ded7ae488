"""Request bodies over 4 MiB are refused with 413 before any handler (or the NUL check, which
reads the whole body) holds them in memory: by Content-Length, and when sent in chunks without
one. Bodies under the cap flow as before."""

from __future__ import annotations

from collections.abc import Iterator

from gatehouse.web.body_limit import BODY_TOO_LARGE, MAX_BODY_BYTES
from tests.support.live import LiveServer

CHUNK = b"a" * 65536


def chunks(total: int) -> Iterator[bytes]:
    """``total`` bytes as a generator: httpx sends it chunked, without a Content-Length."""
    for _ in range(total // len(CHUNK)):
        yield CHUNK


def test_bodies_over_the_cap_are_refused_with_413(demo: LiveServer) -> None:
    over = MAX_BODY_BYTES + len(CHUNK)
    with demo.client() as client:
        form = client.post("/forgot-password", content=b"a" * over)
        api = client.post("/admin/api/v1/template-sets", content=b"{" + b" " * over + b"}")
        chunked = client.post("/service/users/forgotPassword", content=chunks(over))
        under = client.post(
            "/service/users/forgotPassword",
            content=b'{"identifier": "jane@demo.test"' + b" " * (MAX_BODY_BYTES - 64) + b"}",
            headers={"content-type": "application/json"},
        )
    assert (form.status_code, form.text) == (413, f"413 Content Too Large\n\n{BODY_TOO_LARGE}\n")
    assert (api.status_code, api.json()) == (413, {"detail": BODY_TOO_LARGE})
    assert (chunked.status_code, chunked.json()) == (413, {"detail": BODY_TOO_LARGE})
    assert under.status_code == 200
