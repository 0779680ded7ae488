"""A template set's grid on a phone, in a real browser: every language of a template is inside
the window (the table scrolled sideways, showing English and German of the eight)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

PHONE = {"width": 375, "height": 740}


def test_every_language_of_a_template_is_inside_a_phone_window(
    browser: Browser, demo: LiveServer
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/email-template-sets/default")
    row = page.locator("table.template-grid tbody tr", has_text="Forgot Password")
    links = row.locator("td a")
    assert links.count() == 8
    for index in range(8):
        link = links.nth(index)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (index, box)
    chinese = row.locator("td[data-label=ZH]")
    assert chinese.evaluate("cell => getComputedStyle(cell, '::before').content") == '"ZH"'
    scroller = page.locator("div.table-scroll", has=row)
    assert scroller.evaluate("box => box.scrollWidth <= box.clientWidth")
    context.close()
