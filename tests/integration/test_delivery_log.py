"""The delivery log: console page and REST API show each e-mail's status and attempts, scoped
to the tenant; /metrics counts without tenant labels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import create_client
from gatehouse.mail.models import FAILED
from gatehouse.mail.outbox import USER_DEACTIVATED, enqueue
from gatehouse.processes.onboarding import onboard_tenant
from tests.support.accounts import sign_in
from tests.support.delivery import point_demo_at
from tests.support.live import LiveServer
from tests.support.smtp_servers import Pki, ScriptedHandler, SmtpServer

REJECTION = "550 5.1.1 Mailbox unavailable"


@pytest.fixture
def rejecting_server(smtp_pki: Pki) -> Iterator[SmtpServer]:
    handler = ScriptedHandler(replies={"RCPT": REJECTION})
    with SmtpServer(smtp_pki, security="ssl", handler=handler) as smtp:
        yield smtp


def api_client(live: LiveServer, tenant_id: str = "demo") -> tuple[str, str]:
    async def work(runtime: object) -> tuple[str, str]:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            new = await create_client(
                session,
                tenant_id=tenant_id,
                name="ops",
                authorizations=frozenset({Authorization.MANAGE_TENANT_CONFIGURATION}),
            )
        return new.client_id, new.secret

    return live.run(work)


def forgot(live: LiveServer, identifier: str = "jane@demo.test") -> None:
    with live.client() as client:
        client.post("/service/users/forgotPassword", json={"identifier": identifier})


def wait_for_status(
    live: LiveServer, auth: tuple[str, str], status: str, *, tried: bool = False
) -> dict[str, object]:
    """The newest message once it has ``status`` (and, if ``tried``, an attempt behind it)."""
    deadline = time.monotonic() + 15
    with live.client() as client:
        while time.monotonic() < deadline:
            messages = client.get("/admin/api/v1/messages", auth=auth).json()["messages"]
            newest = messages[0] if messages else {}
            if newest.get("status") == status and (newest.get("attempts") or not tried):
                return newest  # type: ignore[no-any-return]
            time.sleep(0.1)
    raise AssertionError(f"no message reached {status}: {messages}")


def test_api_lists_a_failed_message_with_its_attempt(
    demo: LiveServer, rejecting_server: SmtpServer
) -> None:
    """A 550 fails the e-mail at once; the API shows status, error and the one attempt."""
    point_demo_at(demo, rejecting_server.port)
    auth = api_client(demo)
    forgot(demo)
    summary = wait_for_status(demo, auth, "failed")
    assert set(summary) == {
        "id",
        "status",
        "recipient",
        "process",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    }
    assert summary["recipient"] == "jane@demo.test"
    assert summary["process"] == "forgot-password"
    assert summary["attempts"] == 1 and summary["sent_at"] is None
    assert REJECTION in str(summary["last_error"])
    with demo.client() as client:
        detail = client.get(f"/admin/api/v1/messages/{summary['id']}", auth=auth).json()
        filtered = client.get("/admin/api/v1/messages?status=sent", auth=auth).json()
        bad = client.get("/admin/api/v1/messages?status=lost", auth=auth)
        beyond = client.get("/admin/api/v1/messages?page=2", auth=auth).json()
        far = client.get(f"/admin/api/v1/messages?page={10**18}", auth=auth)
    [attempt] = detail["attempts"]
    assert attempt["outcome"] == "failed" and attempt["reply_code"] == 550
    assert REJECTION in str(attempt["error"]) and attempt["reply"] is None
    assert attempt["server"] == f"localhost:{rejecting_server.port} (SSL/TLS)"
    assert filtered["messages"] == []
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "status"
    assert (beyond["messages"], beyond["total"], beyond["page"]) == ([], 1, 2)  # not page 1
    # An offset the database cannot take is never asked for (it was a 500).
    assert (far.status_code, far.json()["messages"], far.json()["page"]) == (200, [], 10**18)
    assert demo.devmail.mailbox.messages() == []  # nothing through the default server


def test_a_sent_attempt_has_the_servers_reply_and_no_error(demo: LiveServer) -> None:
    """The attempt that delivered carries the server's reply as ``reply``; ``error`` is empty
    (it held "250 ... accepted", read as an error)."""
    auth = api_client(demo)
    forgot(demo)
    summary = wait_for_status(demo, auth, "sent")
    with demo.client() as client:
        detail = client.get(f"/admin/api/v1/messages/{summary['id']}", auth=auth).json()
    [attempt] = detail["attempts"]
    assert (attempt["outcome"], attempt["reply_code"], attempt["error"]) == ("sent", 250, None)
    assert str(attempt["reply"]).startswith("250 ")


def test_messages_of_another_tenant_are_invisible(demo: LiveServer) -> None:
    """Tenant other's client sees none of demo's messages, not even by ID."""
    forgot(demo)
    demo.wait_for_mail(lambda m: True)
    demo_auth = api_client(demo)

    async def seed(runtime: object) -> None:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            await onboard_tenant(
                session,
                settings=demo.settings,
                display_name="Other",
                admin_email="o@other.test",
                tenant_id="other",
                admin_password="Other-Admin-1",
            )

    demo.run(seed)
    other_auth = api_client(demo, "other")
    with demo.client() as client:
        [message] = client.get("/admin/api/v1/messages", auth=demo_auth).json()["messages"]
    with demo.client("other") as client:
        listing = client.get("/admin/api/v1/messages", auth=other_auth).json()
        by_id = client.get(f"/admin/api/v1/messages/{message['id']}", auth=other_auth)
    assert listing["messages"] == [] and by_id.status_code == 404


def test_console_log_filters_pages_and_shows_timeline(
    demo: LiveServer, rejecting_server: SmtpServer
) -> None:
    """The Mail Delivery page filters by status and recipient and links to each timeline."""
    forgot(demo)
    demo.wait_for_mail(lambda m: True)
    point_demo_at(demo, rejecting_server.port)
    auth = api_client(demo)
    forgot(demo)
    failed = wait_for_status(demo, auth, "failed")
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        page = client.get("/admin/tenant-settings/mail-delivery?status=failed")
        by_recipient = client.get("/admin/tenant-settings/mail-delivery?recipient=nobody")
        timeline = client.get(f"/admin/tenant-settings/mail-delivery/{failed['id']}")
        missing = client.get("/admin/tenant-settings/mail-delivery/doesnotexist")
        odd_page = client.get("/admin/tenant-settings/mail-delivery?status=failed&page=abc")
        beyond = client.get("/admin/tenant-settings/mail-delivery?status=failed&page=9")
        bad_status = client.get("/admin/tenant-settings/mail-delivery?status=lost")
    assert page.status_code == 200
    assert "<svg" in page.text and "1 e-mail matches." in page.text
    assert 'class="status status-failed"' in page.text and 'status-sent"' not in page.text
    # As people read them; the API keeps "failed" and "forgot-password".
    assert '<span class="status status-failed">Failed</span>' in page.text
    assert '<td class="process" data-label="Process">Forgot Password</td>' in page.text
    assert '<option value="failed" selected>Failed</option>' in page.text
    assert "<dd>Forgot Password</dd>" in timeline.text and "<dd>English</dd>" in timeline.text
    assert ">Failed</span>" in timeline.text
    assert "No e-mails match the filter." in by_recipient.text
    assert "0 e-mails" not in by_recipient.text  # said once, not twice
    kept = "Sent and failed e-mails are kept here for 30 days after their last try."
    assert kept in page.text and kept in by_recipient.text  # GATEHOUSE_DELIVERY_LOG_DAYS
    assert REJECTION in timeline.text and "reply 550" in timeline.text
    assert missing.status_code == 404
    for listing in (odd_page, beyond):  # the first page, and the last one
        assert listing.status_code == 200 and failed["id"] in listing.text
    assert bad_status.status_code == 200
    assert "Status: Choose one of: Queued or retrying, Sending, Sent, Failed." in bad_status.text


def test_a_message_waiting_for_a_retry_is_shown_as_retrying(
    demo: LiveServer, smtp_pki: Pki
) -> None:
    """A 451 queues the e-mail again: the API says "queued", the pages say "Retrying", the
    Status menu's "Queued or retrying" finds it, and the Mail Server page's recent e-mails link
    to the timeline."""
    handler = ScriptedHandler(replies={"RCPT": "451 4.3.0 Try again later"})
    with SmtpServer(smtp_pki, security="ssl", handler=handler) as server:
        point_demo_at(demo, server.port)
        auth = api_client(demo)
        forgot(demo)
        waiting = wait_for_status(demo, auth, "queued", tried=True)
        with demo.client() as client:
            sign_in(client, "admin@demo.test")
            listing = client.get("/admin/tenant-settings/mail-delivery")
            queued = client.get("/admin/tenant-settings/mail-delivery", params={"status": "queued"})
            timeline = client.get(f"/admin/tenant-settings/mail-delivery/{waiting['id']}")
            mail_server = client.get("/admin/tenant-settings/mail-server")
    retrying = '<span class="status status-queued">Retrying</span>'
    assert retrying in listing.text and retrying in timeline.text and retrying in mail_server.text
    assert f'href="/admin/tenant-settings/mail-delivery/{waiting["id"]}"' in mail_server.text
    assert "Sent through the configuration in force, the custom mail server," in mail_server.text
    assert "<dt>Next attempt</dt>" in timeline.text and ">Retry</span>" in timeline.text
    # The Status menu finds it under the name it is listed by (it had no "Retrying" at all).
    assert '<option value="queued" selected>Queued or retrying</option>' in queued.text
    assert retrying in queued.text


def test_an_email_that_failed_before_any_attempt_says_so(demo: LiveServer) -> None:
    """An e-mail failed without a try (withdrawn when its user was deactivated) reads "No
    attempt was made", not "Not attempted yet", which promised a try to come."""

    async def failed_untried(runtime: Any) -> str:
        async with runtime.sessions.begin() as session:
            message = await enqueue(
                session,
                tenant_id="demo",
                process="forgot-password",
                recipient="jane@demo.test",
                context={"link": "https://demo.localhost/reset?token=x"},
            )
            message.status, message.last_error = FAILED, USER_DEACTIVATED
            message.context = None
            return message.id

    message_id = demo.run(failed_untried)
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        timeline = client.get(f"/admin/tenant-settings/mail-delivery/{message_id}").text
    assert "No attempt was made: the e-mail failed before it was sent." in timeline
    assert "Not attempted yet." not in timeline
    assert USER_DEACTIVATED in timeline


def test_metrics_count_outcomes_without_tenant_labels(demo: LiveServer) -> None:
    """/metrics exposes sent counts and queue depth, and no tenant names; not on tenant hosts."""
    forgot(demo)
    demo.wait_for_mail(lambda m: True)
    time.sleep(0.3)
    with demo.client(None) as client:
        body = client.get("/metrics").text
        health = client.get("/healthz")
    with demo.client("demo") as tenant_host:
        on_tenant_host = tenant_host.get("/metrics")
    sent = next(
        float(line.split()[1])
        for line in body.splitlines()
        if line.startswith("gatehouse_mail_sent_total")
    )
    assert sent >= 1
    assert "gatehouse_mail_queued " in body and "gatehouse_mail_delivery_seconds_bucket" in body
    assert "demo" not in body
    assert health.json() == {"status": "ok"}
    # Platform-wide figures are served to the platform (scraper), not on a tenant's host.
    assert on_tenant_host.status_code == 404 and "gatehouse_mail" not in on_tenant_host.text
