"""E-Mail Template Sets on a phone, in a real browser: each set is a block of labelled lines,
and the Default set's "Built-in, read-only" mark is one line beside its label (squeezed into
its table column, it wrapped into a round blob of three lines)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import console_on_a_phone, inside_the_phone, scrolls_sideways
from tests.support.live import LiveServer


def test_the_built_in_mark_is_one_line_on_a_phone(browser: Browser, demo: LiveServer) -> None:
    with console_on_a_phone(browser, demo.origin(), "/admin/email-template-sets") as page:
        mark = page.locator("table.sets td[data-label=Kind]").get_by_text("Built-in, read-only")
        expect(mark).to_be_visible()
        line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 24")
        box = inside_the_phone(mark)
        assert box["height"] < 1.5 * line, box  # one line, not three
        assert not scrolls_sideways(page)
