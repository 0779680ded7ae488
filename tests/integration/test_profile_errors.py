"""The profile's refused forms: the error stands in the card of the form that was refused,
where the user is when the page reloads on it, not at the top of the page."""

from __future__ import annotations

import html

import pytest

from gatehouse.processes.demo import DEMO_USER_PASSWORD
from tests.support.accounts import JANE, sign_in, user_id_of
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
            "/profile/name",
            {"first_name": "Jane", "last_name": " "},
            "Name",
            "Enter your first and last name (at most 64 characters each).",
        ),
        (
            "/profile/name",
            {"first_name": "Jane\u202e", "last_name": "Doe"},
            "Name",
            "The first name must not contain line breaks or other control characters.",
        ),
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


def test_users_correct_their_own_name(demo: LiveServer) -> None:
    """The Name card saves both names, which the profile and the console then show, and the
    user's change log says what changed and who changed it; a refused name keeps what was
    typed in its field, marked, and changes nothing."""
    with demo.client() as client:
        signed_in = post_form(client, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
        assert signed_in.status_code == 303
        token = csrf_token(client.get("/profile"))
        long_name = {"first_name": "J" * 65, "last_name": "Doe", "csrf_token": token}
        refused = client.post("/profile/name", data=long_name)
        saved = client.post(
            "/profile/name",
            data={"first_name": " Janet ", "last_name": "Doe-Smith", "csrf_token": token},
        )
        profile = client.get("/profile").text
    assert refused.status_code == 400
    assert f'value="{"J" * 65}"' in refused.text
    assert 'name="first_name" aria-invalid="true"' in refused.text
    assert (saved.status_code, saved.headers["location"]) == (303, "/profile?msg=profile-saved")
    assert "<h1>Janet Doe-Smith</h1>" in profile and 'value="Janet"' in profile
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        user_page = admin.get(f"/admin/users/{user_id_of(demo, JANE)}").text
    assert "Janet Doe-Smith" in user_page
    assert "<td>First Name = Janet, Last Name = Doe-Smith</td>" in user_page
    assert user_page.count("First Name = ") == 1  # the refused one changed nothing
