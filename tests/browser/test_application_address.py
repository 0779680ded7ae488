"""An application's logon pages keep ?app=<id> in the address when a form is refused, in a
real browser."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from gatehouse.accounts.authorizations import Authorization
from tests.integration.test_process_emails import switch_on
from tests.support.accounts import api_client
from tests.support.live import LiveServer


def test_a_refused_form_keeps_the_application_in_the_address(
    browser: Browser, demo: LiveServer
) -> None:
    """A wrong password, an empty name on Register and a too long identifier on Forgot
    password show the refusal at the page's own address, ?app= included (it was /, /register
    and /forgot-password: the tenant's own pages' addresses, for a reload or a bookmark)."""
    with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
        app = api.post(
            "/admin/api/v1/applications", json={"name": "Travel", "home_url": "https://t.example/"}
        ).json()
    switch_on(demo, self_registration=True)
    query = f"?app={app['id']}"
    page = browser.new_page()
    page.goto(f"{demo.origin()}/{query}")
    page.get_by_label("E-mail or login name").fill("jane@demo.test")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The e-mail, login name or password is not correct."
    )
    expect(page).to_have_url(f"{demo.origin()}/{query}")

    page.goto(f"{demo.origin()}/register{query}")
    page.get_by_label("E-mail").fill("otto@demo.test")
    page.get_by_label("First name").fill(" ")
    page.get_by_label("Last name").fill("N")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Enter your first and last name (at most 64 characters each)."
    )
    expect(page).to_have_url(f"{demo.origin()}/register{query}")

    page.goto(f"{demo.origin()}/forgot-password{query}")
    identifier = page.get_by_label("E-mail or login name")
    identifier.evaluate("field => field.removeAttribute('maxlength')")
    identifier.fill("x" * 255)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_have_text(
        "An e-mail address or login name has at most 254 characters."
    )
    expect(page).to_have_url(f"{demo.origin()}/forgot-password{query}")
