"""E-Mail Template Sets on a phone, in a real browser: each set is a block of labelled lines,
and the Default set's "Built-in, read-only" mark is one line beside its label (squeezed into
its table column, it wrapped into a round blob of three lines)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

PHONE = {"width": 375, "height": 740}


def test_the_built_in_mark_is_one_line_on_a_phone(browser: Browser, demo: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/email-template-sets")
    mark = page.locator("table.sets td[data-label=Kind]").get_by_text("Built-in, read-only")
    expect(mark).to_be_visible()
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 24")
    box = mark.bounding_box()
    assert box is not None
    assert box["height"] < 1.5 * line, box  # one line, not three
    assert box["x"] + box["width"] <= PHONE["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
