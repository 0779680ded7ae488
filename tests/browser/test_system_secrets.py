"""A system's secrets in a real browser: deleting one asks first, as every deletion does."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer


def test_deleting_a_secret_asks_first(browser: Browser, demo: LiveServer) -> None:
    """A secret's Delete asks first, saying the systems using it stop authenticating at once (one
    click deleted it); Cancel keeps it, Yes deletes it."""
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/administrators/systems/new")
    page.get_by_label("Name").fill("Provisioning")
    page.get_by_label("Read Users").check()
    page.get_by_role("button", name="Add System").click()
    page.get_by_role("button", name="Add Secret").click()
    rows = page.locator("#secrets tbody tr")
    expect(rows).to_have_count(2)
    created = rows.first.locator("td").first.inner_text()
    rows.first.get_by_role("link", name=f"Delete the secret created {created}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_have_text(
        re.compile(
            rf"^\s*Delete the secret created {created}\? Systems still using it stop "
            r"authenticating at once\.\s+Yes, delete the secret\s+Cancel\s*$"
        )
    )
    expect(dialog).to_be_in_viewport()
    page.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(rows).to_have_count(2)
    rows.first.get_by_role("link", name=f"Delete the secret created {created}").click()
    page.get_by_role("button", name="Yes, delete the secret").click()
    expect(page.get_by_text("Secret deleted.", exact=True)).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link")).to_have_count(0)  # the last one cannot be deleted
    page.close()
