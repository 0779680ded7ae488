"""The foundation walkthrough in a real browser: an administrator signs in; in a fresh context a
user follows Forgot password?, the e-mail arrives at a real TLS SMTP server, the link sets a new
password, and the user signs in."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD
from tests.support.live import LiveServer
from tests.support.pages import link_in

SCREENSHOTS = Path(__file__).parent / "screenshots"


def test_admin_signs_in_and_user_resets_password(browser: Browser, demo: LiveServer) -> None:
    """Console sign-in, then forgot password -> e-mail -> new password -> profile."""
    admin = browser.new_context()
    page = admin.new_page()
    page.goto(f"{demo.origin()}/admin")
    expect(page).to_have_url(re.compile(r"/admin/signin$"))
    page.get_by_label("E-mail or login name").fill("admin@demo.test")
    page.get_by_label("Password").fill(DEMO_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Administration console")).to_be_visible()
    page.get_by_role("link", name=re.compile("Tenant Settings")).click()
    expect(page.get_by_text("Tenant ID")).to_be_visible()
    admin.close()

    user = browser.new_context()  # no session: a new browser, as the seed says
    page = user.new_page()
    page.goto(f"{demo.origin()}/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_role("button", name="Send").click()
    expect(
        page.get_by_text(
            "If an account exists, an email with a link to reset your password has been sent."
        )
    ).to_be_visible()
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["jane@demo.test"])
    assert mail.listener == "default"

    page.goto(link_in(mail.text))
    page.get_by_label("New password", exact=True).fill("Browser-Reset-7")
    page.get_by_label("Repeat the new password").fill("Browser-Reset-7")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Your password has been set. You can sign in now.")).to_be_visible()
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_label("Password").fill("Browser-Reset-7")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Jane Doe")).to_be_visible()
    user.close()


def test_pages_fit_a_phone(browser: Browser, demo: LiveServer) -> None:
    """The logon page has no horizontal scroll on a 375 px wide screen."""
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{demo.origin()}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    context.close()
