"""The Mail Delivery log in a real browser: a failed e-mail, its attempt and the server's answer."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.integration.test_delivery_log import REJECTION, forgot
from tests.support.accounts import add_user
from tests.support.browser import sign_in_to_console
from tests.support.delivery import point_demo_at
from tests.support.live import LiveServer
from tests.support.smtp_servers import Pki, ScriptedHandler, SmtpServer


@pytest.fixture
def rejecting_server(smtp_pki: Pki) -> Iterator[SmtpServer]:
    with SmtpServer(
        smtp_pki, security="ssl", handler=ScriptedHandler(replies={"RCPT": REJECTION})
    ) as smtp:
        yield smtp


def test_failed_message_shows_attempt_and_error(
    browser: Browser, demo: LiveServer, rejecting_server: SmtpServer
) -> None:
    """Tenant Settings > Mail Delivery lists the failed e-mail; its timeline shows the 550."""
    point_demo_at(demo, rejecting_server.port)
    forgot(demo)
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.get_by_role("link", name=re.compile("Tenant Settings")).click()
    page.get_by_role("link", name=re.compile("Mail Delivery")).click()
    expect(page.locator("svg.chart")).to_be_visible()
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    for _ in range(50):  # the worker fails it within moments; reload until it shows
        if page.locator(".status-failed").count():
            break
        page.wait_for_timeout(200)
        page.reload()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("jane@demo.test")
    expect(row).to_contain_text(REJECTION)
    # The step is named as the Mail Server page names it, not by its slug ("rcpt:").
    expect(row.locator(".last-error")).to_have_text(
        f"Recipient (RCPT TO): The server refused the recipient jane@demo.test: {REJECTION}."
    )
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="E-mail to jane@demo.test")).to_be_visible()
    expect(page.locator(".timeline li")).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("Step: recipient (RCPT TO), reply 550")
    # Back to the list as it was left: still the failed e-mails, not all of them.
    page.get_by_role("link", name="← The e-mails matching the filter").click()
    expect(page).to_have_url(re.compile(r"/mail-delivery\?status=failed$"))
    expect(page.get_by_label("Status")).to_have_value("failed")
    page.go_back()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Mail Delivery"
    ).click()
    expect(page.get_by_label("Status")).to_have_value("failed")
    page.close()


LONG_ADDRESS = "christopher.montgomery-whitfield@subsidiary.example-corporation.test"
# The lines an element's text takes.
LINES = (
    """element => new Set([...element.getClientRects()].map(rect => Math.round(rect.top))).size"""
)


def test_recent_emails_fit_a_phone(
    browser: Browser, demo: LiveServer, rejecting_server: SmtpServer
) -> None:
    """At 400 px, Mail Server Configuration's recent e-mails and Mail Delivery's list (a long
    recipient, a long error) neither widen the page nor scroll sideways in their tables, and
    their dates stay on one line: the columns scrolled sideways, each date in three lines and
    each row tall."""
    point_demo_at(demo, rejecting_server.port)
    add_user(demo, LONG_ADDRESS)
    forgot(demo, LONG_ADDRESS)
    page = browser.new_page(viewport={"width": 400, "height": 800})
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-server")
    recent = page.locator("section", has=page.get_by_role("heading", name="Recent e-mails"))
    for _ in range(50):  # the worker fails it within moments; reload until it shows
        if recent.locator(".status-failed").count():
            break
        page.wait_for_timeout(200)
        page.reload()
    table = recent.locator("table")
    expect(table).to_contain_text(f"The server refused the recipient {LONG_ADDRESS}: {REJECTION}.")
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= 400
    assert table.evaluate("table => table.scrollWidth <= table.clientWidth")
    for when in table.locator("tbody a").all():
        assert when.evaluate(LINES) == 1, when.inner_text()
    recipient = table.locator("tbody td", has_text=LONG_ADDRESS).first
    box = recipient.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400
    # Mail Delivery's list alike: its seven columns scrolled sideways in their box.
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-delivery")
    listing = page.locator("table.delivery")
    expect(listing).to_contain_text(
        f"The server refused the recipient {LONG_ADDRESS}: {REJECTION}."
    )
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= 400
    assert listing.evaluate("table => table.scrollWidth <= table.clientWidth")
    assert listing.locator("tbody a").first.evaluate(LINES) == 1
    page.close()
