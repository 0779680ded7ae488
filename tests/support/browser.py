"""What browser tests share: signing in to the console as a person does."""

from __future__ import annotations

from playwright.sync_api import Page

from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD


def sign_in_to_console(
    page: Page, origin: str, email: str = "admin@demo.test", password: str = DEMO_ADMIN_PASSWORD
) -> None:
    """Open the console at ``origin``, fill in the sign-in form and choose Sign in."""
    page.goto(f"{origin}/admin")
    page.get_by_label("E-mail or login name").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
