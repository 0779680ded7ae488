"""User Management's list on a phone, in a real browser: each user is a block of labelled
lines inside the window (the table scrolled sideways, its Status column off the edge)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import console_on_a_phone, inside_the_phone, label_of, scrolls_sideways
from tests.support.live import LiveServer


def test_a_users_status_is_inside_a_phone_window(browser: Browser, demo: LiveServer) -> None:
    """At 375 px, the first user's Status and its label are within the window, and the page
    does not scroll sideways."""
    with console_on_a_phone(browser, demo.origin(), "/admin/users") as page:
        status = page.locator("table.users td[data-label=Status]").first
        expect(status).to_be_visible()
        inside_the_phone(status)
        assert label_of(status) == '"Status"'
        assert not scrolls_sideways(page)
