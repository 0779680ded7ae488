"""Initial Password and Email Link Validity on a phone, in a real browser: each process's
number shows its digits, and its unit and default are inside the window (the number was
squeezed to a sliver, empty to the eye, and the Default column sat off the edge)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

PHONE = {"width": 375, "height": 740}


def test_link_validity_fits_a_phone_window(browser: Browser, demo: LiveServer) -> None:
    """At 375 px Forgot Password's number is wide enough for "23", and its unit and default
    end inside the window; the page does not scroll sideways."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/link-validity")
    amount = page.get_by_label("Forgot Password", exact=True)
    expect(amount).to_have_value("2")
    box = amount.bounding_box()
    assert box is not None and box["width"] >= 56, box
    row = page.locator("tr", has=amount)
    for part in (page.get_by_label("Forgot Password unit"), row.locator("td.muted")):
        part_box = part.bounding_box()
        assert part_box is not None
        assert part_box["x"] >= 0 and part_box["x"] + part_box["width"] <= PHONE["width"], part_box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
