"""What browser tests share: signing in to the console as a person does, and a phone's window
(375 px wide) with the checks of a page that fits it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, FloatRect, Locator, Page, ViewportSize

from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD

PHONE: ViewportSize = {"width": 375, "height": 740}


def sign_in_to_console(
    page: Page, origin: str, email: str = "admin@demo.test", password: str = DEMO_ADMIN_PASSWORD
) -> None:
    """Open the console at ``origin``, fill in the sign-in form and choose Sign in."""
    page.goto(f"{origin}/admin")
    page.get_by_label("E-mail or login name").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@contextmanager
def phone_page(browser: Browser) -> Iterator[Page]:
    """A page in a phone's window (touch, mobile viewport), closed afterwards."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def console_on_a_phone(browser: Browser, origin: str, path: str) -> Iterator[Page]:
    """The console's ``path`` on a phone, signed in as the demo administrator."""
    with phone_page(browser) as page:
        sign_in_to_console(page, origin)
        page.goto(f"{origin}{path}")
        yield page


def inside_the_phone(locator: Locator) -> FloatRect:
    """``locator``'s box, which must lie within the phone window's width."""
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    return box


def scrolls_sideways(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") > PHONE["width"])


def label_of(cell: Locator) -> str:
    """The label a stacked table row shows before ``cell`` (its ``::before`` content)."""
    return str(cell.evaluate("cell => getComputedStyle(cell, '::before').content"))
