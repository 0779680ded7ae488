"""A refused profile form on a phone, in a real browser: the page opens on its error, in the
form's own card, instead of at the top of the page, far above the form at its foot."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from gatehouse.processes.demo import DEMO_USER_PASSWORD
from tests.support.accounts import JANE
from tests.support.browser import phone_page
from tests.support.live import LiveServer


def test_the_page_opens_on_the_refused_forms_error(browser: Browser, demo: LiveServer) -> None:
    with phone_page(browser) as page:
        page.goto(f"{demo.origin()}/")
        page.get_by_label("E-mail or login name").fill(JANE)
        page.get_by_label("Password").fill(DEMO_USER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{demo.origin()}/profile")
        page.locator("#current_password").fill(DEMO_USER_PASSWORD)
        page.get_by_label("New password", exact=True).fill("Jane-Second-2026")
        page.get_by_label("Repeat the new password").fill("Jane-Other-2026")
        page.get_by_role("button", name="Change password").click()
        error = page.get_by_role("alert")
        expect(error).to_have_text("The two passwords do not match.")
        expect(error).to_be_in_viewport()
        expect(error).to_be_focused()
