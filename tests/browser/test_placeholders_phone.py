"""A template's Placeholders on a phone, in a real browser: "Required in text and HTML" is
inside the window (its column sat off the right edge of a 375 px window, so a phone never
showed which placeholder the template must have)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

PHONE = {"width": 375, "height": 740}


def test_the_required_placeholder_is_marked_inside_a_phone_window(
    browser: Browser, demo: LiveServer
) -> None:
    """At 375 px the Forgot Password template's Required mark is within the window, on the
    row of its placeholder, and the page does not scroll sideways."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/email-template-sets/default/templates/forgot-password/en")
    row = page.locator("table.placeholders tr", has_text="user.reset_password_link")
    required = row.get_by_text("Required in text and HTML")
    expect(required).to_be_visible()
    box = required.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
