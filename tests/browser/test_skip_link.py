"""Keyboard users skip the header: "Skip to content" is the first thing Tab reaches on every
page, hidden until then, and leads the focus to the page's main content."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD
from tests.support.live import LiveServer

FIRST_STOP = """() => [...document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
)][0].textContent"""
IN_MAIN = "() => document.activeElement.closest('main') !== null"


def skip_to_content(page: Page) -> None:
    """Tab from the page's top focuses the link, shown; Enter moves the focus to <main>, and the
    next Tab to the first control in it."""
    link = page.get_by_role("link", name="Skip to content")
    expect(link).not_to_be_in_viewport()  # hidden until focused
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    expect(link).to_be_in_viewport()
    assert link.bounding_box()["width"] > 50  # type: ignore[index]
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(link).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    assert page.evaluate(IN_MAIN), page.url


def test_skip_to_content_is_the_first_stop_of_every_page(
    browser: Browser, demo: LiveServer
) -> None:
    """Console pages and an error page: Tab, Enter, Tab lands in the content. The logon and
    sign-in pages put the focus in their first field; there too the link comes first."""
    page = browser.new_page()
    for path in ("/", "/forgot-password", "/admin"):
        page.goto(f"{demo.origin()}{path}")
        assert page.evaluate(FIRST_STOP) == "Skip to content", path
    page.get_by_label("E-mail or login name").fill("admin@demo.test")
    page.get_by_label("Password").fill(DEMO_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Administration console")).to_be_visible()
    for path in ("/admin", "/admin/tenant-settings/mail-server", "/admin/users", "/admin/nope"):
        page.goto(f"{demo.origin()}{path}")
        assert page.evaluate(FIRST_STOP) == "Skip to content", path
        skip_to_content(page)
    page.close()
