"""The seed's check of the e-mail limit, in a real browser: three *Forgot password?* requests
bring three e-mails, the fourth none and the limit's sentence; the administrator sees 3 next to
*Password Reset*, presses *Reset Counter*, sees 0; the next request brings an e-mail."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from tests.support.accounts import FORGOT_ANSWER, JANE, LIMIT_SENTENCE, mails_to
from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer


def request_reset(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.origin()}/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail or login name").fill(JANE)
    page.get_by_role("button", name="Send").click()


def test_limit_reset_counter_and_next_email(browser: Browser, demo: LiveServer) -> None:
    """3 e-mails, then the limit message; the admin resets the counter; then a 4th e-mail."""
    user = browser.new_context()  # no session, as the seed says
    page = user.new_page()
    for sent in (1, 2, 3):
        request_reset(page, demo)
        expect(page.get_by_text(FORGOT_ANSWER)).to_be_visible()
        demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=sent)
    request_reset(page, demo)
    expect(page.get_by_text(LIMIT_SENTENCE)).to_be_visible()
    time.sleep(0.5)
    assert len(mails_to(demo)) == 3

    admin = browser.new_context()
    console = admin.new_page()
    sign_in_to_console(console, demo.origin())
    console.get_by_role("link", name=re.compile("User Management")).click()
    console.get_by_label("Search users").fill("jane")
    console.get_by_role("button", name="Search").click()
    console.get_by_role("link", name="Jane Doe").click()
    console.get_by_role("link", name="Authentication").click()
    details = console.locator("#password-details")
    expect(details.get_by_text("Password Details")).to_be_visible()
    expect(console.locator("#password-reset-count")).to_have_text("3")
    expect(console.locator("#password-reset")).to_contain_text("3 of 3 e-mails")
    counted = console.locator("#counted-emails li")
    expect(counted).to_have_count(3)
    expect(counted.first).to_contain_text("Forgot Password, ")
    counted.first.get_by_role("link", name=re.compile("^Delivery of the Forgot Password")).click()
    expect(console.get_by_role("heading", level=1)).to_have_text(f"E-mail to {JANE}")
    console.go_back()
    console.get_by_role("button", name="Reset Counter").click()
    expect(console.get_by_text("Counter reset: the count of e-mails is 0.")).to_be_visible()
    expect(console.locator("#password-reset-count")).to_have_text("0")
    admin.close()

    request_reset(page, demo)
    expect(page.get_by_text(FORGOT_ANSWER)).to_be_visible()
    demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=4)
    user.close()
