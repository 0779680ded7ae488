"""Send Activation E-Mail Again in a real browser: a user who has not set a password yet shows
their last activation e-mail's status; the button sends a new link, which is said on the page
and arrives."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer
from tests.support.pages import link_in


def test_a_new_user_gets_the_activation_email_again(browser: Browser, demo: LiveServer) -> None:
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/users/new")
    page.get_by_label("E-Mail").fill("later@demo.test")
    page.get_by_role("button", name="Create User").click()
    expect(page.get_by_text("User created. The activation e-mail is on its way.")).to_be_visible()
    [first] = demo.wait_for_mail(lambda m: m.rcpt_to == ["later@demo.test"])
    page.reload()
    last = page.locator("#last-activation-email")
    expect(last).to_contain_text(
        re.compile(r"Last activation e-mail: On-Behalf Registration, .*Sent", re.S)
    )

    page.get_by_role("button", name="Send Activation E-Mail Again").click()
    expect(
        page.get_by_text("The activation e-mail is on its way again, with a new link.")
    ).to_be_visible()
    mails = demo.wait_for_mail(lambda m: m.rcpt_to == ["later@demo.test"], count=2)
    links = {link_in(mail.text) for mail in mails}
    assert link_in(first.text) in links and len(links) == 2  # a new link, not the first again
    expect(page.get_by_role("cell", name="Activation e-mail = Queued again")).to_be_visible()
