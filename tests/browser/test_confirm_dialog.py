"""A question before a deletion, in a real browser: the page opens on it. Delete System's
question is at the foot of the page, and the page opened at its top, out of sight of it."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from gatehouse.accounts.authorizations import Authorization
from tests.support.accounts import api_client
from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

WINDOW = {"width": 1280, "height": 700}


def test_the_question_is_in_sight_and_has_the_focus(browser: Browser, demo: LiveServer) -> None:
    """After Delete System the question is within the window and focused, so the keyboard's
    next Tab reaches its Yes button."""
    client_id, _ = api_client(demo, Authorization.READ_USERS)
    page = browser.new_page(viewport=WINDOW)
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/administrators/systems/{client_id}")
    page.get_by_role("link", name="Delete System").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_focused()
    box = dialog.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= WINDOW["height"], box
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Yes, delete system")).to_be_focused()
    page.close()
