"""A page's change log shows the page's own changes even when the log it shares holds many
newer ones of other things: the Self-Registration page under 60 newer Security Alerts saves,
an application under 60 newer changes of another application (each page showed only what
was among the shared log's newest 50, so "No changes yet: everything is off." with the switch
on)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gatehouse.audit import AuditEntry
from gatehouse.db.base import utcnow
from tests.support.accounts import sign_in
from tests.support.live import LiveServer
from tests.support.pages import post_form

NEWER = 60


def newer_entries(live: LiveServer, resource: str, changes: dict[str, Any]) -> None:
    """``NEWER`` entries of ``resource`` after everything logged so far."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            later = utcnow() + timedelta(seconds=1)
            session.add_all(
                AuditEntry(
                    tenant_id="demo",
                    at=later + timedelta(milliseconds=n),
                    actor="admin:admin@demo.test",
                    resource=resource,
                    action="update",
                    changes=changes,
                )
                for n in range(NEWER)
            )

    live.run(work)


def test_the_self_registration_page_keeps_its_changes_under_newer_alert_ones(
    demo: LiveServer,
) -> None:
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        saved = post_form(
            admin, "/admin/tenant-settings/self-registration", {"self_registration": "on"}
        )
        assert saved.status_code == 303
        newer_entries(demo, "process-settings", {"alert_password_changed": True})
        page = admin.get("/admin/tenant-settings/self-registration").text
    assert "No changes yet" not in page
    assert page.count("<td>Changed</td>") == 1
    assert "<td>Allow self-registration on the logon page = on</td>" in page


def test_an_applications_page_keeps_its_changes_under_another_ones(demo: LiveServer) -> None:
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        created = post_form(
            admin, "/admin/applications", {"name": "Travel", "home_url": "https://travel.example/"}
        )
        page_path = created.headers["location"].split("?")[0]
        newer_entries(demo, "applications", {"application": "someone-else", "name": "Other"})
        page = admin.get(page_path).text
    assert page.count("<td>Created</td>") == 1 and "Name = Travel" in page
    assert "Name = Other" not in page
