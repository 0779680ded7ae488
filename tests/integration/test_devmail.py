"""The development mail server's mailbox: its JSON shape, its listeners (the custom one keeping
its port across restarts), and that no tenant host serves it (it shows every tenant's mail,
links included)."""

from __future__ import annotations

from pathlib import Path

from gatehouse.mail.devmail import DevMailServer, Listener
from tests.support.live import LiveServer


def test_mailbox_json_lists_captured_mail(demo: LiveServer) -> None:
    """/_mailbox/api/messages gives each message's listener, envelope, headers and bodies."""
    with demo.client() as client:
        client.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})
    demo.wait_for_mail(lambda m: True)
    with demo.client(None) as platform:
        [message] = platform.get("/_mailbox/api/messages").json()["messages"]
        listeners = platform.get("/_mailbox/api/listeners").json()["listeners"]
        page = platform.get("/_mailbox")
    assert set(message) == {
        "id",
        "listener",
        "mail_from",
        "rcpt_to",
        "from",
        "to",
        "subject",
        "text",
        "html",
        "received_at",
    }
    assert message["listener"] == "default" and message["rcpt_to"] == ["jane@demo.test"]
    assert [(x["name"], x["security"]) for x in listeners] == [
        ("default", "starttls"),
        ("custom", "ssl"),
    ]
    assert set(listeners[0]) == {"name", "host", "port", "security", "username", "password"}
    assert page.status_code == 200 and "Development mailbox" in page.text


def test_tenant_hosts_do_not_serve_the_mailbox(demo: LiveServer) -> None:
    """On a tenant host every /_mailbox path is a 404: one tenant must not read another's mail."""
    with demo.client() as client:
        answers = [
            client.get(path).status_code
            for path in ("/_mailbox", "/_mailbox/api/messages", "/_mailbox/api/listeners")
        ]
    assert answers == [404, 404, 404]


def test_the_custom_listener_keeps_its_port_across_restarts(tmp_path: Path) -> None:
    """A second start on the same data directory listens on the first start's port, with the
    same login, so a tenant configured with it still sends (it took a new port each time)."""

    def custom(server: DevMailServer) -> Listener:
        return next(listener for listener in server.listeners if listener.name == "custom")

    first = DevMailServer(tmp_path)
    first.start()
    before = custom(first)
    first.stop()
    second = DevMailServer(tmp_path)
    second.start()
    try:
        assert custom(second) == before
    finally:
        second.stop()
