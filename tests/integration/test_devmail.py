"""The development mail server's mailbox: its JSON shape, its listeners, and that no tenant host
serves it (it shows every tenant's mail, links included)."""

from __future__ import annotations

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
