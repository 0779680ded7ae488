"""The Amazon Simple Email Service tab in a real browser: add a domain, see its DNS records,
verify it, choose From and Reply to, save."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer
from tests.support.moto_ses import PLATFORM_DOMAIN, MotoSes


def test_ses_tab_domain_to_configuration_saved(
    browser: Browser, demo: LiveServer, moto_ses: MotoSes
) -> None:
    """Add Domain -> records -> Verify -> Verified -> From/Reply to -> Configuration saved."""
    moto_ses.reset()
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.get_by_role("link", name=re.compile("Tenant Settings")).click()
    page.get_by_role("link", name=re.compile("Mail Server Configuration")).click()
    page.get_by_role("link", name="Amazon Simple Email Service").click()
    page.get_by_label("Domain", exact=True).fill("mail.acme.test")
    page.get_by_role("button", name="Add Domain").click()
    expect(
        page.get_by_text("Domain added. Publish its DNS records, then choose Verify.")
    ).to_be_visible()
    row = page.locator("table.domains > tbody > tr", has_text="mail.acme.test")
    expect(row).to_contain_text("Pending")
    expect(row).to_contain_text("v=spf1 include:amazonses.com ~all")
    row.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("The domain is verified and can be chosen.")).to_be_visible()
    expect(page.locator("table.domains > tbody > tr", has_text="mail.acme.test")).to_contain_text(
        "Verified"
    )
    page.get_by_label("From", exact=True).fill("no-reply")
    page.get_by_label("From domain").select_option("mail.acme.test")
    page.get_by_label("Reply to", exact=True).fill("help")
    page.get_by_label("Reply to domain").select_option(PLATFORM_DOMAIN)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Configuration saved", exact=True)).to_be_visible()
    expect(page.locator(".in-force")).to_contain_text("no-reply@mail.acme.test")
    expect(page.locator(".in-force")).to_contain_text(f"help@{PLATFORM_DOMAIN}")
    page.close()


def test_deleting_a_domain_asks_first(
    browser: Browser, demo: LiveServer, moto_ses: MotoSes
) -> None:
    """Delete asks before a domain goes (adding it back means verifying it again); Cancel keeps
    it, Yes deletes it."""
    moto_ses.reset()
    page = browser.new_page()
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-server?tab=ses")
    page.get_by_label("Domain", exact=True).fill("news.acme.test")
    page.get_by_role("button", name="Add Domain").click()
    row = page.locator("table.domains > tbody > tr", has_text="news.acme.test")
    row.get_by_role("link", name="Delete news.acme.test").click()
    expect(page.get_by_role("alertdialog")).to_contain_text(
        "Delete the domain news.acme.test? To send from it again, you add it, publish its DNS "
        "records and verify it again."
    )
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(row).to_contain_text("Pending")
    row.get_by_role("link", name="Delete news.acme.test").click()
    page.get_by_role("button", name="Yes, delete the domain").click()
    expect(page.get_by_text("Domain deleted.", exact=True)).to_be_visible()
    expect(page.locator("table.domains")).to_have_count(0)
    page.close()
