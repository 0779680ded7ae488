"""Initial Password and Email Link Validity on a phone, in a real browser: each process's
number shows its digits, and its unit and default are inside the window (the number was
squeezed to a sliver, empty to the eye, and the Default column sat off the edge)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import console_on_a_phone, inside_the_phone, scrolls_sideways
from tests.support.live import LiveServer


def test_link_validity_fits_a_phone_window(browser: Browser, demo: LiveServer) -> None:
    """At 375 px Forgot Password's number is wide enough for "23", and its unit and default
    end inside the window; the page does not scroll sideways."""
    with console_on_a_phone(browser, demo.origin(), "/admin/tenant-settings/link-validity") as page:
        amount = page.get_by_label("Forgot Password", exact=True)
        expect(amount).to_have_value("2")
        box = amount.bounding_box()
        assert box is not None and box["width"] >= 56, box
        row = page.locator("tr", has=amount)
        inside_the_phone(page.get_by_label("Forgot Password unit"))
        inside_the_phone(row.locator("td.muted"))
        assert not scrolls_sideways(page)
