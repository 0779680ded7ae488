"""Reloading a console page after a form was sent, in a real browser: the page's message and a
new secret are shown once, and nothing is sent again."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer


def signed_in(browser: Browser, demo: LiveServer) -> Page:
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    return page


def test_a_message_shows_once_and_a_reload_does_not_bring_it_back(
    browser: Browser, demo: LiveServer
) -> None:
    """After Save the page says "Display name saved."; its address no longer holds the message
    (?msg=), so a reload or coming Back shows the page without it (it showed it again)."""
    page = signed_in(browser, demo)
    page.goto(f"{demo.origin()}/admin/tenant-settings")
    page.get_by_label("Display name").fill("Demo Renamed")
    page.get_by_role("button", name="Save Display Name").click()
    saved = page.get_by_role("status").filter(has_text="Display name saved.")
    expect(saved).to_be_visible()
    expect(page).to_have_url(f"{demo.origin()}/admin/tenant-settings")
    page.reload()
    expect(page.get_by_label("Display name")).to_have_value("Demo Renamed")
    expect(saved).to_have_count(0)
    page.goto(f"{demo.origin()}/admin")
    page.go_back()
    expect(page.get_by_label("Display name")).to_be_visible()
    expect(saved).to_have_count(0)


def test_a_new_secret_shows_once_and_a_reload_adds_none(browser: Browser, demo: LiveServer) -> None:
    """Add System and Add Secret show the secret on the system's page; a reload shows the page
    without it and adds nothing (the reload used to post the form again)."""
    page = signed_in(browser, demo)
    page.goto(f"{demo.origin()}/admin/administrators/systems/new")
    page.get_by_label("Name").fill("Reload Check")
    page.get_by_label("Read Users").check()
    page.get_by_role("button", name="Add System").click()
    expect(page.get_by_text("Copy the secret now")).to_be_visible()
    expect(page.locator("#new-secret")).to_have_text(re.compile(r"\S{20,}"))
    page.reload()
    expect(page.get_by_role("heading", name="Reload Check")).to_be_visible()
    expect(page.get_by_text("Copy the secret now")).to_have_count(0)
    expect(page.locator("#new-secret")).to_have_count(0)
    secrets = page.locator("#secrets tbody tr")
    expect(secrets).to_have_count(1)
    page.get_by_role("button", name="Add Secret").click()
    expect(page.locator("#new-secret")).to_have_text(re.compile(r"\S{20,}"))
    expect(secrets).to_have_count(2)
    page.reload()
    expect(page.locator("#new-secret")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)  # no "at most two secrets" refusal
    expect(secrets).to_have_count(2)


def test_the_address_of_a_refused_form_opened_again_is_the_forms_page(
    browser: Browser, demo: LiveServer
) -> None:
    """A refused form shows its page again at the form's action address; opened again (from
    the address bar or the history: a GET) it leads to the form's page, not to "This page
    cannot be used that way." (405)."""
    page = signed_in(browser, demo)
    page.goto(f"{demo.origin()}/admin/tenant-settings")
    page.get_by_label("Display name").fill("Demo <Renamed>")
    page.get_by_role("button", name="Save Display Name").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(f"{demo.origin()}/admin/tenant-settings/display-name")
    page.goto(page.url)
    expect(page).to_have_url(f"{demo.origin()}/admin/tenant-settings")
    expect(page.get_by_label("Display name")).to_have_value("Demo Tenant")  # nothing saved
