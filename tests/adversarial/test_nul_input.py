"""NUL characters in any part of a request (path, query, JSON, form, upload): 400, never a
server error. PostgreSQL refuses NUL in text, so without this guard each lookup by an ID, name
or address carrying one failed with 500 (found by the fuzzer on PostgreSQL)."""

from __future__ import annotations

from gatehouse.accounts.authorizations import ALL_AUTHORIZATIONS
from gatehouse.web.app import NUL_REFUSED
from tests.support.accounts import api_client
from tests.support.live import LiveServer

TEMPLATE = "/admin/api/v1/template-sets/default/templates/forgot-password/en"


def test_nul_anywhere_in_a_request_is_a_bad_request(demo: LiveServer) -> None:
    """Every way a NUL can arrive is refused with 400 before any query runs."""
    auth = api_client(demo, *ALL_AUTHORIZATIONS)
    with demo.client(auth=auth) as client:
        answers = {
            "path": client.get("/admin/api/v1/users/a%00b"),
            "query": client.get("/admin/api/v1/users", params={"search": "a\x00"}),
            "console path": client.get("/admin/users/a%00b"),
            "link token": client.get("/reset-password", params={"token": "\x00"}),
            "public JSON": client.post(
                "/service/users/forgotPassword", json={"identifier": "jane@demo.test\x00"}
            ),
            "API JSON": client.post(
                "/admin/api/v1/invitations", json={"email": "a@b.test", "first_name": "A\x00"}
            ),
            "template JSON": client.put(TEMPLATE, json={"subject": "\x00", "text": "", "html": ""}),
            "form": client.post("/forgot-password", data={"identifier": "jane\x00"}),
            "upload": client.post(
                "/admin/email-template-sets/x/templates/forgot-password/en",
                files={"text_file": ("t.txt", b"a\x00b")},
            ),
        }
        assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(answers, 400)
        assert answers["API JSON"].json() == {"detail": NUL_REFUSED}
        ok = client.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})
        assert ok.status_code == 200  # everything else still flows
