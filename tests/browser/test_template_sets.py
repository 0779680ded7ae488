"""In a real browser: an administrator creates a template set, edits and previews a German
template, assigns the set to a new application; a user with a German browser asks for a reset
link on that application's logon page and receives exactly that e-mail."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer
from tests.support.pages import link_in


def create_set_and_edit_german_template(page: Page) -> None:
    page.get_by_role("link", name=re.compile("E-Mail Template Sets")).click()
    page.get_by_label("Name").fill("Travel Mails")
    page.get_by_role("button", name="Create Template Set").click()
    expect(page.get_by_text("Template set created as a copy of Default.")).to_be_visible()
    page.get_by_role("link", name="Forgot Password, Deutsch", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Forgot Password"))).to_be_visible()

    page.get_by_label("Subject").fill("Neues Reisepasswort für ${user.firstName}")
    page.get_by_label("Text body").fill("Hallo ${user.firstName},\n\nbitte hier: ${user.password}")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("The template cannot be previewed.")
    expect(page.get_by_role("alert")).to_contain_text(
        "Text body, line 3, column 15: user.password is not a placeholder of the Forgot "
        "Password template."
    )
    page.get_by_label("Text body").fill(
        "Hallo ${user.firstName},\n\nbitte hier: ${user.reset_password_link}"
    )
    page.get_by_label("HTML body").fill(
        '<p>Hallo <b>${user.firstName}</b>, <a href="${user.reset_password_link}">hier</a></p>'
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text("Neues Reisepasswort für Alex")
    expect(page.locator("#preview-text")).to_contain_text("bitte hier: http://demo.localhost")
    frame = page.frame_locator("#preview-html")
    expect(frame.locator("b")).to_have_text("Alex")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Template saved.")).to_be_visible()


def add_application_with_the_set(page: Page, live: LiveServer) -> str:
    page.goto(f"{live.origin()}/admin")
    page.get_by_role("link", name=re.compile("^Applications")).click()
    page.get_by_label("Name").fill("Travel")
    page.get_by_label("Home URL").fill("https://travel.example/")
    page.get_by_role("button", name="Add Application").click()
    expect(page.get_by_text("Application added.")).to_be_visible()
    page.get_by_label("Template set").select_option(label="Travel Mails")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Application saved.")).to_be_visible()
    return str(page.locator("#logon-url").inner_text())


def test_template_set_from_creation_to_delivered_email(browser: Browser, demo: LiveServer) -> None:
    """Create, edit, preview, assign, trigger: the German e-mail arrives as written."""
    admin = browser.new_context()
    page = admin.new_page()
    sign_in_to_console(page, demo.origin())
    expect(page.get_by_role("heading", name="Administration console")).to_be_visible()
    create_set_and_edit_german_template(page)
    logon_url = add_application_with_the_set(page, demo)
    assert re.fullmatch(rf"{re.escape(demo.origin())}/\?app=\w+", logon_url)
    admin.close()

    user = browser.new_context(locale="de-DE")  # the browser asks for German
    page = user.new_page()
    page.goto(logon_url)
    expect(page.get_by_text("to Travel")).to_be_visible()
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("If an account exists")).to_be_visible()

    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["jane@demo.test"])
    assert mail.subject == "Neues Reisepasswort für Jane"
    link = link_in(mail.text)
    assert mail.text.replace("\r\n", "\n").startswith(f"Hallo Jane,\n\nbitte hier: {link}")
    assert f'<a href="{link}">hier</a>' in mail.html
    page.goto(link)
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    user.close()


def test_deleting_a_template_asks_first(browser: Browser, demo: LiveServer) -> None:
    """Delete Template asks first, saying what the e-mails use instead (one click deleted the
    template at once); Cancel keeps it, Yes deletes it."""
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    expect(page.get_by_role("heading", name="Administration console")).to_be_visible()
    page.get_by_role("link", name=re.compile("E-Mail Template Sets")).click()
    page.get_by_label("Name").fill("Travel Mails")
    page.get_by_role("button", name="Create Template Set").click()
    page.get_by_role("link", name="Forgot Password, Deutsch", exact=True).click()
    page.get_by_role("link", name="Delete Template").click()
    expect(page.get_by_role("alertdialog")).to_have_text(
        re.compile(
            r"^\s*Delete the Forgot Password template in Deutsch from Travel Mails\? Its e-mails "
            r"fall back to the set's English template\. This cannot be undone\.\s+"
            r"Yes, delete the template\s+Cancel\s*$"
        )
    )
    expect(page.get_by_role("alertdialog")).to_be_in_viewport()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.locator("#source")).to_have_text("This is the set's own template for Deutsch.")
    # English, without a language of the set's own to fall back to, falls back to Default.
    page.get_by_role("navigation", name="Languages").get_by_role("link", name="English").click()
    page.get_by_role("link", name="Delete Template").click()
    expect(page.locator("#confirm-title")).to_have_text(
        "Delete the Forgot Password template in English from Travel Mails? Its e-mails fall "
        "back to the Default set's template in English. This cannot be undone."
    )
    page.get_by_role("button", name="Yes, delete the template").click()
    expect(page.get_by_text("Template deleted: its e-mails fall back.")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot Password, English (falls back)")).to_be_visible()
    page.close()
