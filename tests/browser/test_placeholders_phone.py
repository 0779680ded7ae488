"""A template's Placeholders on a phone, in a real browser: "Required in text and HTML" is
inside the window (its column sat off the right edge of a 375 px window, so a phone never
showed which placeholder the template must have)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import console_on_a_phone, inside_the_phone, scrolls_sideways
from tests.support.live import LiveServer

FORGOT_PASSWORD = "/admin/email-template-sets/default/templates/forgot-password/en"


def test_the_required_placeholder_is_marked_inside_a_phone_window(
    browser: Browser, demo: LiveServer
) -> None:
    """At 375 px the Forgot Password template's Required mark is within the window, on the
    row of its placeholder, and the page does not scroll sideways."""
    with console_on_a_phone(browser, demo.origin(), FORGOT_PASSWORD) as page:
        row = page.locator("table.placeholders tr", has_text="user.reset_password_link")
        required = row.get_by_text("Required in text and HTML")
        expect(required).to_be_visible()
        inside_the_phone(required)
        assert not scrolls_sideways(page)
