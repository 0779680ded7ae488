"""A console change log on a phone, in a real browser: every row shows its changes inside the
window, as labelled lines (the Changes column sat off the right edge of a 375 px window)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

PHONE = {"width": 375, "height": 740}


def test_change_log_changes_are_inside_a_phone_window(browser: Browser, demo: LiveServer) -> None:
    """After a display name change, Tenant Settings' change log at 375 px shows the row's
    Changes ("Display name = Demo Phone") and its label within the window."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings")
    page.get_by_label("Display name").fill("Demo Phone")
    page.get_by_role("button", name="Save Display Name").click()
    expect(page.get_by_role("status").filter(has_text="Display name saved.")).to_be_visible()

    changes = page.locator("table.change-log td:nth-child(4)").first
    expect(changes).to_contain_text("Demo Phone")
    box = changes.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    label = changes.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Changes"'
    context.close()
