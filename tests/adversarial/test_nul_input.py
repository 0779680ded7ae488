"""NUL characters in any part of a request (path, query, JSON, form, upload): refused, never a
server error. PostgreSQL refuses NUL in text, so without this guard each lookup by an ID, name
or address carrying one failed with 500 (found by the fuzzer on PostgreSQL). An admin API field
holding one is named, as the API names every bad field."""

from __future__ import annotations

from gatehouse.accounts.authorizations import ALL_AUTHORIZATIONS
from gatehouse.web.app import NUL_REFUSED
from tests.support.accounts import api_client, sign_in
from tests.support.live import LiveServer
from tests.support.pages import csrf_token

TEMPLATE = "/admin/api/v1/template-sets/default/templates/forgot-password/en"
MAIL_SERVER = "/admin/api/v1/mail-server"


def test_nul_anywhere_in_a_request_is_a_bad_request(demo: LiveServer) -> None:
    """Every way a NUL can arrive outside an admin API field is refused with 400 before any
    query runs."""
    auth = api_client(demo, *ALL_AUTHORIZATIONS)
    with demo.client(auth=auth) as client:
        answers = {
            "API path": client.get("/admin/api/v1/users/a%00b"),
            "API parameter name": client.get("/admin/api/v1/users", params={"a\x00": "b"}),
            "console path": client.get("/admin/users/a%00b"),
            "link token": client.get("/reset-password", params={"token": "\x00"}),
            "public JSON": client.post(
                "/service/users/forgotPassword", json={"identifier": "jane@demo.test\x00"}
            ),
            "form": client.post("/forgot-password", data={"identifier": "jane\x00"}),
        }
        assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(answers, 400)
        assert answers["API path"].json() == {"detail": NUL_REFUSED}
        # A page's answer is a page, as every error's (it was bare text).
        for page in ("console path", "link token", "form"):
            assert answers[page].headers["content-type"].startswith("text/html"), page
            assert "<h1>Bad request</h1>" in answers[page].text, page
            assert NUL_REFUSED in answers[page].text, page
        ok = client.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})
        assert ok.status_code == 200  # everything else still flows


def test_nul_in_an_admin_api_field_is_refused_naming_the_field(demo: LiveServer) -> None:
    """A NUL in a query parameter or a JSON field of the admin API: 422 naming the field (a
    dotted path inside the body, ``body`` for a raw NUL that makes it no JSON) with the usual
    message, and nothing changes."""
    auth = api_client(demo, *ALL_AUTHORIZATIONS)
    with demo.client(auth=auth) as client:
        users_before = client.get("/admin/api/v1/users").json()
        answers = {
            "search": client.get("/admin/api/v1/users", params={"search": "a\x00"}),
            "host": client.put(MAIL_SERVER, json={"host": "loc\x00alhost", "port": 465}),
            "subject": client.put(TEMPLATE, json={"subject": "\x00", "text": "", "html": ""}),
            "first_name": client.post(
                "/admin/api/v1/invitations", json={"email": "a@b.test", "first_name": "A\x00"}
            ),
            "labels.1.name": client.post(
                "/admin/api/v1/invitations",
                json={"email": "a@b.test", "labels": [{"name": "x"}, {"name": "y\x00"}]},
            ),
            "body": client.post(
                "/admin/api/v1/invitations",
                content=b'{"email": "a\x00@b.test"}',
                headers={"content-type": "application/json"},
            ),
        }
        # Nested deeper than the JSON parser goes, sent without credentials: the guard runs
        # before sign-in, and answered 500 with a traceback.
        with demo.client() as stranger:
            deep = stranger.post(
                "/admin/api/v1/users",
                content=b"[" * 5000 + b'"\\u0000"' + b"]" * 5000,
                headers={"content-type": "application/json"},
            )
        assert (deep.status_code, deep.json()["detail"]["field"]) == (422, "body")
        refused = {
            field: (422, {"detail": {"field": field, "message": NUL_REFUSED}}) for field in answers
        }
        assert {field: (r.status_code, r.json()) for field, r in answers.items()} == refused
        assert client.get(MAIL_SERVER).json()["mode"] == "default"
        assert client.get("/admin/api/v1/users").json() == users_before


def multipart(token: str, disposition: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart form with the CSRF token and one part of ``disposition``, byte for byte (a
    client such as httpx writes a NUL in a name as %00)."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b"\r\n--b\r\nContent-Disposition: form-data; "
        + disposition
        + b"\r\n\r\nx\r\n--b--\r\n"
    )
    return body, {"content-type": "multipart/form-data; boundary=b"}


def test_nul_in_a_multipart_form_field_is_a_bad_request(demo: LiveServer) -> None:
    """A template form is multipart (its file uploads): a NUL in a typed field, a field name or
    a file's name is refused with 400 when the form is read, before any query; a NUL inside
    a file is for the page to refuse (test_template_console: "not UTF-8 text")."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        path = "/admin/email-template-sets/default/templates/forgot-password/en"
        token = csrf_token(client.get(path))
        upload = {"text_file": ("t.txt", b"text", "text/plain")}
        answers = {
            "typed field": client.post(
                path, data={"csrf_token": token, "subject": "a\x00"}, files=upload
            ),
        }
        for name, disposition in (
            ("field name", b'name="sub\x00ject"'),
            ("file name", b'name="text_file"; filename="t\x00.txt"'),
        ):
            body, headers = multipart(token, disposition)
            answers[name] = client.post(path, content=body, headers=headers)
    assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(answers, 400)
    assert all(NUL_REFUSED in r.text for r in answers.values())
