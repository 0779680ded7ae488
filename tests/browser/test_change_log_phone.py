"""A console change log on a phone, in a real browser: every row shows its changes inside the
window, as labelled lines (the Changes column sat off the right edge of a 375 px window)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import console_on_a_phone, inside_the_phone, label_of
from tests.support.live import LiveServer


def test_change_log_changes_are_inside_a_phone_window(browser: Browser, demo: LiveServer) -> None:
    """After a display name change, Tenant Settings' change log at 375 px shows the row's
    Changes ("Display name = Demo Phone") and its label within the window."""
    with console_on_a_phone(browser, demo.origin(), "/admin/tenant-settings") as page:
        page.get_by_label("Display name").fill("Demo Phone")
        page.get_by_role("button", name="Save Display Name").click()
        expect(page.get_by_role("status").filter(has_text="Display name saved.")).to_be_visible()
        changes = page.locator("table.change-log td:nth-child(4)").first
        expect(changes).to_contain_text("Demo Phone")
        inside_the_phone(changes)
        assert label_of(changes) == '"Changes"'
