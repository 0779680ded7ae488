"""Reloading an end-user page after a form was sent, in a real browser: the answer is shown
again, and nothing is sent again."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, expect

from gatehouse.accounts.authorizations import Authorization
from gatehouse.processes.self_registration import REGISTRATION_ANSWER
from tests.integration.test_process_emails import mails_to, switch_on
from tests.support.accounts import api_client
from tests.support.live import LiveServer


def test_a_reload_of_the_registration_answer_registers_no_second_time(
    browser: Browser, demo: LiveServer
) -> None:
    """Register on an application's page: the answer has an address of its own, which keeps
    ?app=, so a reload shows it again and sends no second e-mail (the reload posted the form
    again, and a second Self-Registration e-mail went out, counted by the day's three)."""
    with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
        app = api.post(
            "/admin/api/v1/applications", json={"name": "Travel", "home_url": "https://t.example/"}
        ).json()
    switch_on(demo, self_registration=True)
    page = browser.new_page()
    page.goto(f"{demo.origin()}/register?app={app['id']}")
    page.get_by_label("E-mail").fill("otto@demo.test")
    page.get_by_label("First name").fill("Otto")
    page.get_by_label("Last name").fill("N")
    page.get_by_role("button", name="Register").click()
    answer = page.get_by_role("status").filter(has_text=REGISTRATION_ANSWER)
    expect(answer).to_be_visible()
    expect(page).to_have_url(f"{demo.origin()}/register/sent?app={app['id']}")
    demo.wait_for_mail(lambda m: m.rcpt_to == ["otto@demo.test"])
    page.reload()
    expect(answer).to_be_visible()
    expect(page.get_by_role("link", name="Back to sign in")).to_have_attribute(
        "href", f"/?app={app['id']}"
    )
    time.sleep(0.5)
    assert len(mails_to(demo, "otto@demo.test")) == 1
