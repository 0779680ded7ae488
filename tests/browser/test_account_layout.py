"""End-user pages in a real browser: a page's notice stands in its card, under its heading."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from gatehouse.accounts.authorizations import Authorization
from tests.support.accounts import api_client
from tests.support.live import LiveServer


def notice_under_heading(page: Page, heading: str, text: str) -> None:
    card = page.locator("section.card")
    expect(card.get_by_role("heading", name=heading)).to_be_visible()
    alert = card.get_by_role("alert")
    expect(alert).to_have_text(text)
    heading_box = card.get_by_role("heading", name=heading).bounding_box()
    alert_box = alert.bounding_box()
    assert heading_box is not None and alert_box is not None
    assert heading_box["y"] + heading_box["height"] <= alert_box["y"]


def test_a_notice_stands_in_the_card_under_its_heading(browser: Browser, demo: LiveServer) -> None:
    """ "Link not valid" and a refused sign-in: the notice is in the card, under the heading;
    it stood above the card, the width of the page, before the heading it belongs to."""
    page = browser.new_page()
    page.goto(f"{demo.origin()}/reset-password?token=no-such-link")
    notice_under_heading(page, "Link not valid", "This link is not valid. Request a new one.")
    page.goto(f"{demo.origin()}/")
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    notice_under_heading(page, "Sign in", "The e-mail, login name or password is not correct.")
    page.close()


def test_the_application_name_stays_under_the_heading(browser: Browser, demo: LiveServer) -> None:
    """An application's logon page refusing a sign-in: "to Travel" stays right under "Sign in",
    above the notice; it stood under the notice, pulled up against it by its negative margin."""
    with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
        app = api.post(
            "/admin/api/v1/applications", json={"name": "Travel", "home_url": "https://t.example/"}
        ).json()
    page = browser.new_page()
    page.goto(f"{demo.origin()}/?app={app['id']}")
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    notice_under_heading(page, "Sign in", "The e-mail, login name or password is not correct.")
    name = page.locator("section.card p.app-name")
    expect(name).to_have_text("to Travel")
    name_box = name.bounding_box()
    alert_box = page.get_by_role("alert").bounding_box()
    assert name_box is not None and alert_box is not None
    assert name_box["y"] + name_box["height"] <= alert_box["y"]
    page.close()
