"""The profile's refused forms: the error stands in the card of the form that was refused,
where the user is when the page reloads on it, not at the top of the page."""

from __future__ import annotations

import html

import pytest

from gatehouse.processes.demo import DEMO_USER_PASSWORD
from tests.support.accounts import JANE
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, post_form

ERROR = (
    '<div class="alert alert-error" role="alert" id="page-error" tabindex="-1" autofocus>{}</div>'
)


@pytest.mark.parametrize(
    ("path", "data", "card", "message"),
    [
        ("/profile/language", {"language": "xx"}, "Language", "Choose a language from the list."),
        (
            "/profile/email",
            {"email": "jane.new@demo.test", "email_password": "Not-Her-Password-1"},
            "Change e-mail address",
            "The current password is not correct.",
        ),
        (
            "/profile/email",
            {"email": "", "email_password": ""},
            "Change e-mail address",
            "Enter an e-mail address.",
        ),
        (
            "/profile/email",
            {"email": "jane.new@demo.test", "email_password": ""},
            "Change e-mail address",
            "Enter your current password.",
        ),
        (
            "/profile/password",
            {"current_password": "", "password": "Jane-Second-2026"},
            "Change password",
            "Enter your current password.",
        ),
        (
            "/profile/password",
            {
                "current_password": DEMO_USER_PASSWORD,
                "password": "Jane-Second-2026",
                "password_confirm": "Jane-Other-2026",
            },
            "Change password",
            "The two passwords do not match.",
        ),
    ],
)
def test_a_refused_forms_error_is_in_its_card(
    demo: LiveServer, path: str, data: dict[str, str], card: str, message: str
) -> None:
    with demo.client() as client:
        signed_in = post_form(client, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
        assert signed_in.status_code == 303
        refused = client.post(path, data={**data, "csrf_token": csrf_token(client.get("/profile"))})
    assert refused.status_code == 400
    page = refused.text
    error = ERROR.format(html.escape(message))
    assert page.count('id="page-error"') == 1  # once, in the card, not also at the top
    start = page.index(f"<h2>{card}</h2>")
    end = page.find("<section", start)
    assert error in page[start:end]


def test_an_empty_current_password_is_asked_for_not_counted(demo: LiveServer) -> None:
    """A form sent without the current password is no guess: six of them leave the password
    unlocked (five wrong ones lock it), and the next change with it goes through."""
    with demo.client() as client:
        signed_in = post_form(client, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
        assert signed_in.status_code == 303
        token = csrf_token(client.get("/profile"))
        for _ in range(6):
            empty = {"email": "jane.new@demo.test", "email_password": "", "csrf_token": token}
            assert client.post("/profile/email", data=empty).status_code == 400
        changed = client.post(
            "/profile/email",
            data={
                "email": "jane.new@demo.test",
                "email_password": DEMO_USER_PASSWORD,
                "csrf_token": token,
            },
        )
    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == "/profile?msg=email-changed"
