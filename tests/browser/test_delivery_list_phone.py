"""Mail Delivery's list on a phone, in a real browser: a long process name wraps inside its
line ("On-Behalf Registration (template test)" was cut off at the window's edge)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlalchemy import insert

from gatehouse.db.base import new_id, utcnow
from gatehouse.mail.models import OutboxMessage
from gatehouse.runtime import Runtime
from tests.support.browser import console_on_a_phone, inside_the_phone
from tests.support.live import LiveServer

LONG_PROCESS = "On-Behalf Registration (template test)"


async def template_test_sent(runtime: Runtime) -> None:
    """One sent test of the Default set's On-Behalf Registration template."""
    now = utcnow()
    async with runtime.sessions.begin() as session:
        await session.execute(
            insert(OutboxMessage),
            [
                {
                    "id": new_id(),
                    "tenant_id": "demo",
                    "process": "on-behalf-registration",
                    "template_set_id": "default",
                    "recipient": "jane@demo.test",
                    "status": "sent",
                    "attempts": 1,
                    "created_at": now,
                    "sent_at": now,
                }
            ],
        )


def test_a_long_process_name_wraps_inside_a_phone_window(
    browser: Browser, demo: LiveServer
) -> None:
    """At 375 px the Process line shows the whole name within the window: its text is no
    wider than its cell, and the cell ends inside the window."""
    demo.run(template_test_sent)
    with console_on_a_phone(browser, demo.origin(), "/admin/tenant-settings/mail-delivery") as page:
        process = page.locator("table.delivery td.process").first
        expect(process).to_have_text(LONG_PROCESS)
        inside_the_phone(process)
        assert process.evaluate("cell => cell.scrollWidth <= cell.clientWidth")
