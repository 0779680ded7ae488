"""HEAD asks what GET would answer, without the body: monitors and link checkers use it."""

from __future__ import annotations

import pytest
from starlette.routing import Mount
from starlette.types import Message, Receive, Scope, Send

from gatehouse.web.app import create_app
from gatehouse.web.head import HeadAsGet
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
    only takes POST is not posted to by HEAD: it answers as GET does (the page one step up),
    and PUT is refused."""
    with demo.client() as client:
        console = client.head("/admin")
        post_only = client.head("/logout")
        got = client.get("/logout")
        put = client.put("/logout")
    assert console.status_code == 303
    assert console.headers["location"].startswith("/admin/signin")
    assert (post_only.status_code, post_only.headers["location"]) == (303, "/")
    assert post_only.content == b"" and got.headers["location"] == "/"
    assert put.status_code == 405 and "This page cannot be used that way." in put.text


def test_a_forms_action_address_opened_leads_to_the_page_above_only_when_there_is_one(
    demo: LiveServer,
) -> None:
    """GET of a POST-only address: the page one step up when the application serves it, else
    the 405 page (a redirect to an address that is no page would only say "not found")."""
    with demo.client() as client:
        display_name = client.get("/admin/tenant-settings/display-name")
        no_page_above = client.get("/admin/tenant-settings/mail-server/ses/domains/x.test/verify")
    assert (display_name.status_code, display_name.headers["location"]) == (
        303,
        "/admin/tenant-settings",
    )
    assert no_page_above.status_code == 405
    assert "This page cannot be used that way." in no_page_above.text


def test_head_of_a_static_file_is_answered_by_the_file_server(demo: LiveServer) -> None:
    """A static file's HEAD gives its length and type without the file's bytes, as GET does
    with them."""
    with demo.client() as client:
        got = client.get("/static/gatehouse.css")
        head = client.head("/static/gatehouse.css")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["x-frame-options"] == got.headers["x-frame-options"]
    # ... because the application hands the files' HEAD to the file server (below).
    application = create_app(demo.settings)
    [head_as_get] = [m for m in application.user_middleware if m.cls is HeadAsGet]
    [static] = [r for r in application.routes if isinstance(r, Mount) and r.name == "static"]
    assert head_as_get.kwargs == {"native": (f"{static.path}/",)}


async def test_head_goes_as_head_to_an_application_that_answers_it() -> None:
    """Under ``native``, HEAD reaches the application as HEAD (StaticFiles answers it from the
    file's size; run as GET it read the whole file to drop it); elsewhere as GET."""
    seen: list[tuple[str, str]] = []

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"body"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    middleware = HeadAsGet(application, native=("/static/",))
    for path in ("/static/gatehouse.css", "/"):
        await middleware({"type": "http", "method": "HEAD", "path": path}, receive, send)
    assert seen == [("HEAD", "/static/gatehouse.css"), ("GET", "/")]
    assert [m.get("body") for m in sent if m["type"] == "http.response.body"] == [b"body", b""]
