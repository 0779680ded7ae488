"""A template set's grid on a phone, in a real browser: every language of a template is inside
the window (the table scrolled sideways, showing English and German of the eight)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support.browser import console_on_a_phone, inside_the_phone, label_of
from tests.support.live import LiveServer


def test_every_language_of_a_template_is_inside_a_phone_window(
    browser: Browser, demo: LiveServer
) -> None:
    with console_on_a_phone(browser, demo.origin(), "/admin/email-template-sets/default") as page:
        row = page.locator("table.template-grid tbody tr", has_text="Forgot Password")
        links = row.locator("td a")
        assert links.count() == 8
        for index in range(8):
            expect(links.nth(index)).to_be_visible()
            inside_the_phone(links.nth(index))
        assert label_of(row.locator("td[data-label=ZH]")) == '"ZH"'
        scroller = page.locator("div.table-scroll", has=row)
        assert scroller.evaluate("box => box.scrollWidth <= box.clientWidth")
