"""An end-user form the server refuses, in a real browser: what was typed stays (but passwords),
and the field the message is about is marked for assistive technology, as the console does."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from gatehouse.processes.demo import DEMO_USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.pages import link_in


def sign_in_as_jane(page: Page, origin: str) -> None:
    page.goto(f"{origin}/")
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_label("Password").fill(DEMO_USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Jane Doe")).to_be_visible()


def test_a_refused_address_change_keeps_the_address(browser: Browser, demo: LiveServer) -> None:
    """Profile > Change e-mail address to a taken address: the address stays in its field,
    marked invalid and described by the message (the field was emptied, nothing marked)."""
    page = browser.new_page()
    sign_in_as_jane(page, demo.origin())
    page.get_by_label("New e-mail address").fill("admin@demo.test")
    page.get_by_label("Current password").first.fill(DEMO_USER_PASSWORD)
    page.get_by_role("button", name="Change e-mail address").click()
    expect(page.get_by_role("alert")).to_have_text("Another account uses this e-mail address.")
    address = page.get_by_label("New e-mail address")
    expect(address).to_have_value("admin@demo.test")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_have_attribute("aria-describedby", "page-error")
    expect(page.locator("[aria-invalid]")).to_have_count(1)


def test_a_wrong_password_marks_the_form_it_was_typed_in(
    browser: Browser, demo: LiveServer
) -> None:
    """Two fields read Current password; a wrong one in the address form marks that one, and
    the new address typed stays."""
    page = browser.new_page()
    sign_in_as_jane(page, demo.origin())
    page.get_by_label("New e-mail address").fill("jane.doe@demo.test")
    page.locator("#email_password").fill("not-her-password")
    page.get_by_role("button", name="Change e-mail address").click()
    expect(page.get_by_role("alert")).to_have_text("The current password is not correct.")
    expect(page.get_by_label("New e-mail address")).to_have_value("jane.doe@demo.test")
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    expect(page.locator("#email_password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email_password")).to_have_value("")  # a password is never sent back


def test_a_refused_new_password_marks_its_field(browser: Browser, demo: LiveServer) -> None:
    """The reset link's page: two passwords that differ mark Repeat the new password."""
    page = browser.new_page()
    page.goto(f"{demo.origin()}/forgot-password")
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_role("button", name="Send").click()
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["jane@demo.test"])
    page.goto(link_in(mail.text))
    page.get_by_label("New password", exact=True).fill("Browser-Reset-7")
    page.get_by_label("Repeat the new password").fill("Browser-Reset-8")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_have_text("The two passwords do not match.")
    repeat = page.get_by_label("Repeat the new password")
    expect(repeat).to_have_attribute("aria-invalid", "true")
    expect(repeat).to_have_attribute("aria-describedby", "page-error")
    expect(page.get_by_label("New password", exact=True)).not_to_have_attribute(
        "aria-invalid", "true"
    )


def test_a_field_in_error_is_seen_red_too(browser: Browser, demo: LiveServer) -> None:
    """Marked for assistive technology, and for the eye: the field's border turns the error's
    red (it kept the grey of every field)."""
    page = browser.new_page()
    sign_in_as_jane(page, demo.origin())
    page.get_by_label("New e-mail address").fill("admin@demo.test")
    page.get_by_label("Current password").first.fill(DEMO_USER_PASSWORD)
    page.get_by_role("button", name="Change e-mail address").click()
    expect(page.get_by_role("alert")).to_have_text("Another account uses this e-mail address.")
    error_red = page.get_by_role("alert").evaluate("e => getComputedStyle(e).color")
    border = "e => getComputedStyle(e).borderTopColor"
    assert page.get_by_label("New e-mail address").evaluate(border) == error_red
    assert page.locator("#email_password").evaluate(border) != error_red
