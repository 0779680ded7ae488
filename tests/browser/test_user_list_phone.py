"""User Management's list on a phone, in a real browser: each user is a block of labelled
lines inside the window (the table scrolled sideways, its Status column off the edge)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

PHONE = {"width": 375, "height": 740}


def test_a_users_status_is_inside_a_phone_window(browser: Browser, demo: LiveServer) -> None:
    """At 375 px, the first user's Status and its label are within the window, and the page
    does not scroll sideways."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/users")
    status = page.locator("table.users td[data-label=Status]").first
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    label = status.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Status"'
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
