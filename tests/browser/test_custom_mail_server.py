"""The seed's procedure, literally, in a real browser: configure the custom mail server, test it
with Forgot password? from a browser without a session, then remove the configuration."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer
from tests.support.moto_ses import MotoSes


def forgot_password_in_new_browser(browser: Browser, live: LiveServer) -> None:
    context = browser.new_context()  # no active session, as the seed asks
    page = context.new_page()
    page.goto(f"{live.origin()}/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("If an account exists")).to_be_visible()
    context.close()


def test_seed_procedure(browser: Browser, demo: LiveServer) -> None:
    """Configuration saved -> reset mail via the custom server with its sender -> removed ->
    the next reset mail via the default server."""
    custom = next(listener for listener in demo.devmail.listeners if listener.name == "custom")
    admin = browser.new_context()
    page = admin.new_page()
    sign_in_to_console(page, demo.origin())
    page.get_by_role("link", name=re.compile("Tenant Settings")).click()
    page.get_by_role("link", name=re.compile("Mail Server Configuration")).click()
    page.get_by_role("link", name="Custom Mail Server").click()
    page.get_by_label("Host", exact=True).fill(custom.host)
    page.get_by_label("Port", exact=True).fill(str(custom.port))
    page.get_by_label("SSL/TLS").check()
    page.get_by_label("User name and password").check()
    page.get_by_label("User Name", exact=True).fill(custom.username or "")
    page.get_by_label("Password", exact=True).fill(custom.password or "")
    page.get_by_label("Sender E-Mail", exact=True).fill("it-desk@demo.test")
    page.get_by_label("Sender Name", exact=True).fill("Demo IT Desk")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Configuration saved", exact=True)).to_be_visible()
    expect(page.locator("input#password")).to_have_value("")  # write-only

    forgot_password_in_new_browser(browser, demo)
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["jane@demo.test"])
    assert mail.listener == "custom"
    assert mail.sender == "Demo IT Desk <it-desk@demo.test>"
    assert mail.mail_from == "it-desk@demo.test"

    page.get_by_role("link", name="Remove Configuration").click()
    page.get_by_role("button", name="Yes, remove configuration").click()
    expect(page.get_by_text("Configuration removed", exact=True)).to_be_visible()
    demo.devmail.mailbox.clear()
    forgot_password_in_new_browser(browser, demo)
    [after] = demo.wait_for_mail(lambda m: m.rcpt_to == ["jane@demo.test"])
    assert after.listener == "default"
    admin.close()


def test_failed_check_says_why_and_stores_nothing(browser: Browser, demo: LiveServer) -> None:
    """A wrong password names the AUTH step and the server's reply; the default stays in force."""
    custom = next(listener for listener in demo.devmail.listeners if listener.name == "custom")
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-server?tab=custom")
    page.get_by_label("Host", exact=True).fill(custom.host)
    page.get_by_label("Port", exact=True).fill(str(custom.port))
    page.get_by_label("User Name", exact=True).fill(custom.username or "")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_label("Sender E-Mail", exact=True).fill("it-desk@demo.test")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The check of the mail server failed at the authentication (AUTH) step: "
        "The server refused the login of user tenant-smtp: 535"
    )
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(page.locator(".in-force")).to_contain_text("Default")
    page.close()


def test_the_field_in_error_is_marked_for_assistive_technology(
    browser: Browser, demo: LiveServer
) -> None:
    """The input the error is about is invalid and described by the error; the others not."""
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-server?tab=custom")
    page.get_by_label("Host", exact=True).fill("smtp.example.com")
    page.get_by_label("Port", exact=True).fill("465")
    page.get_by_label("User Name", exact=True).fill("someone")
    page.get_by_label("Password", exact=True).fill("a-password")
    page.get_by_label("Sender E-Mail", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Save").click()
    sender = page.get_by_label("Sender E-Mail", exact=True)
    expect(sender).to_have_attribute("aria-invalid", "true")
    expect(sender).to_have_accessible_description(re.compile("^Sender E-Mail: "))
    expect(page.get_by_label("Host", exact=True)).not_to_have_attribute("aria-invalid", "true")
    page.close()


def test_replacing_ses_asks_for_the_box_and_marks_it(
    browser: Browser, demo: LiveServer, moto_ses: MotoSes
) -> None:
    """With Amazon SES in force, Save on the Custom tab without the box ticked names the box,
    marks it for assistive technology and keeps the fields; ticked, the custom server replaces
    SES."""
    moto_ses.reset()
    custom = next(listener for listener in demo.devmail.listeners if listener.name == "custom")
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-server?tab=ses")
    page.get_by_label("From", exact=True).fill("no-reply")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Configuration saved", exact=True)).to_be_visible()
    page.get_by_role("link", name="Custom Mail Server").click()
    page.get_by_label("Host", exact=True).fill(custom.host)
    page.get_by_label("Port", exact=True).fill(str(custom.port))
    page.get_by_label("User Name", exact=True).fill(custom.username or "")
    page.get_by_label("Password", exact=True).fill(custom.password or "")
    page.get_by_label("Sender E-Mail", exact=True).fill("it-desk@demo.test")
    page.get_by_role("button", name="Save").click()
    box = page.get_by_label("I understand that saving replaces the Amazon SES configuration.")
    expect(page.get_by_role("alert")).to_have_text(
        "Confirmation: Confirm that saving replaces the Amazon SES configuration."
    )
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(re.compile("^Confirmation: "))
    expect(page.get_by_label("Host", exact=True)).to_have_value(custom.host)
    box.check()
    page.get_by_label("Password", exact=True).fill(custom.password or "")  # never shown again
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Configuration saved", exact=True)).to_be_visible()
    expect(page.locator(".in-force")).to_contain_text("Custom Mail Server")
    page.close()


def test_send_test_email_shows_outcome(browser: Browser, demo: LiveServer) -> None:
    """Send Test E-Mail goes through the outbox and the page shows that it was sent."""
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-server")
    page.get_by_role("button", name="Send Test E-Mail").click()
    expect(page.locator("#test-outcome")).to_have_text(
        re.compile(r"\s*Test e-mail sent to admin@demo.test.\s*"), timeout=15000
    )
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["admin@demo.test"])
    assert mail.subject == "Test e-mail from Demo Tenant"
    assert mail.text.startswith("Hello Ada,")  # the administrator, a user of the tenant
    page.close()
