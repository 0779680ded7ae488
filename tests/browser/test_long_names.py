"""Names administrators type without a space (the longest the forms take) in a real browser:
the pages that show them keep to the window's width, on a desktop and on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    console_on_a_phone,
    inside_the_phone,
    scrolls_sideways,
    sign_in_to_console,
)
from tests.support.live import LiveServer

FIRST_NAME = "F" * 64  # the most Create User takes
LAST_NAME = "L" * 64
SYSTEM_NAME = "S" * 100  # the most Add System takes


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


# The lines each change log's Action cell ("Created") takes: one, unless a word was broken.
ACTION_LINES = """() => [...document.querySelectorAll('table.change-log td:last-child')]
.map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell.previousElementSibling);
  return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
})"""


def test_long_names_do_not_widen_the_console(browser: Browser, demo: LiveServer) -> None:
    """A user and a system named with the longest unbroken names the forms take: their pages
    and the lists fit 1280 px and 375 px windows (the heading and breadcrumb pushed the page
    to 1387 px, so it scrolled sideways); words beside a name in a table stay whole."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_to_console(page, demo.origin())

    page.goto(f"{demo.origin()}/admin/users/new")
    page.get_by_label("E-Mail").fill("long@demo.test")
    page.get_by_label("First Name").fill(FIRST_NAME)
    page.get_by_label("Last Name").fill(LAST_NAME)
    page.get_by_role("button", name="Create User").click()
    expect(page.get_by_text("User created. The activation e-mail is on its way.")).to_be_visible()
    user_page = page.url

    page.goto(f"{demo.origin()}/admin/administrators/systems/new")
    page.get_by_label("Name").fill(SYSTEM_NAME)
    page.get_by_label("Read Users").check()
    page.get_by_role("button", name="Add System").click()
    expect(page.get_by_text("Copy the secret now")).to_be_visible()
    client_id = page.locator("#client-id").inner_text()

    pages = [
        user_page,
        f"{demo.origin()}/admin/users?q=long",
        f"{demo.origin()}/admin/administrators/systems/{client_id}",
        f"{demo.origin()}/admin/administrators",
    ]
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for address in pages:
            page.goto(address)
            expect(page.locator("h1")).to_be_visible()
            assert page_width(page) <= width, f"{address} at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{demo.origin()}/admin/administrators")  # the names, and whole words beside them
    assert set(page.evaluate(ACTION_LINES)) == {1}
    expect(page.get_by_role("heading", name=re.compile("Administrators"))).to_be_visible()
    context.close()


def test_an_error_quoting_a_long_value_wraps_in_its_banner(
    browser: Browser, demo: LiveServer
) -> None:
    """A refused host name without a space, quoted in the error banner: the banner wraps it
    and the page keeps to a phone's width (it ran to 552 px)."""
    host = "smtp." + "internationalbusinessmachinescorporation" * 3 + ".example.com_"
    path = "/admin/tenant-settings/mail-server?tab=custom"
    with console_on_a_phone(browser, demo.origin(), path) as page:
        page.get_by_label("Host").fill(host)
        page.get_by_label("Sender E-Mail").fill("it@demo.test")
        page.get_by_role("button", name="Save").click()
        error = page.get_by_role("alert")
        expect(error).to_contain_text("is not a valid host name.")
        inside_the_phone(error)
        assert not scrolls_sideways(page)
