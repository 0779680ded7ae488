"""Forgot password end to end: request -> outbox -> worker -> dev TLS SMTP server -> link."""

from __future__ import annotations

import re
import time

from gatehouse.web.api.app import BODY_NOT_OBJECT
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, link_in, path_of, post_form

ANSWER = {
    "message": "If an account exists, an email with a link to reset your password has been sent."
}
NEW_PASSWORD = "Fresh-Start-42"


def request_reset(live: LiveServer, identifier: str) -> tuple[int, dict[str, str]]:
    with live.client() as client:
        response = client.post("/service/users/forgotPassword", json={"identifier": identifier})
    return response.status_code, response.json()


def test_reset_mail_arrives_from_default_sender_at_default_listener(demo: LiveServer) -> None:
    """The REST request puts one reset e-mail for jane into the default listener's mailbox."""
    assert request_reset(demo, "jane@demo.test") == (200, ANSWER)
    [mail] = demo.wait_for_mail(lambda m: "jane@demo.test" in m.rcpt_to)
    assert mail.listener == "default"
    assert mail.sender == "Gatehouse <no-reply@gatehouse.localhost>"
    assert mail.subject == "Reset your password for Demo Tenant"
    assert link_in(mail.text).startswith(f"{demo.origin()}/reset-password?token=")
    assert link_in(mail.text) in mail.html


def test_reset_link_sets_password_once(demo: LiveServer) -> None:
    """The link opens the form, the new password signs jane in, and the link works only once."""
    request_reset(demo, "jane")  # unknown login name: nothing
    request_reset(demo, "jane@demo.test")
    [mail] = demo.wait_for_mail(lambda m: True)
    path = path_of(link_in(mail.text))
    with demo.client() as client:
        form = client.get(path)
        assert form.status_code == 200 and "Set a new password" in form.text
        token = path.split("token=")[1]
        done = client.post(
            "/reset-password",
            data={
                "token": token,
                "password": NEW_PASSWORD,
                "password_confirm": NEW_PASSWORD,
                "csrf_token": csrf_token(form),
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/?msg=password-set"
        again = client.get(path)
        assert again.status_code == 400
        assert "This link has already been used." in again.text
        signed_in = post_form(
            client, "/", {"identifier": "jane@demo.test", "password": NEW_PASSWORD}
        )
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/profile"
        assert "jane@demo.test" in client.get("/profile").text


def test_weak_password_names_the_rule_and_keeps_the_link(demo: LiveServer) -> None:
    """A password breaking the policy is refused with the rule, and the link stays usable."""
    request_reset(demo, "jane@demo.test")
    [mail] = demo.wait_for_mail(lambda m: True)
    path = path_of(link_in(mail.text))
    with demo.client() as client:
        form = client.get(path)
        weak = client.post(
            "/reset-password",
            data={
                "token": path.split("token=")[1],
                "password": "alllowercase",
                "password_confirm": "alllowercase",
                "csrf_token": csrf_token(form),
            },
        )
        assert weak.status_code == 400
        assert (
            "The password must contain characters from at least 3 of these groups: "
            "lower-case letters, upper-case letters, digits, symbols."
        ) in weak.text
        assert client.get(path).status_code == 200
        # The refused form's own address, opened again, is the link's page (it said the link
        # was not valid, and a user would ask for another, spending one of three e-mails).
        action = re.search(r'<form method="post" action="([^"]+)"', weak.text)
        assert action is not None and action.group(1) == path
        again = client.get(action.group(1))
        assert again.status_code == 200 and "Set a new password" in again.text


def test_unknown_identifier_same_answer_and_no_mail(demo: LiveServer) -> None:
    """Unknown identifiers get the same status and body as real ones, and no e-mail leaves."""
    assert request_reset(demo, "nobody@demo.test") == (200, ANSWER)
    assert request_reset(demo, "no-such-login") == (200, ANSWER)
    request_reset(demo, "jane@demo.test")
    demo.wait_for_mail(lambda m: True)
    time.sleep(0.5)  # give a wrongly queued message time to arrive too
    assert [m.rcpt_to for m in demo.devmail.mailbox.messages()] == [["jane@demo.test"]]


def test_malformed_request_is_400(demo: LiveServer) -> None:
    """A body without a usable identifier is a 400 naming the field."""
    with demo.client() as client:
        missing = client.post("/service/users/forgotPassword", json={})
        empty = client.post("/service/users/forgotPassword", json={"identifier": ""})
        not_json = client.post("/service/users/forgotPassword", content=b"identifier=x")
        broken = client.post(
            "/service/users/forgotPassword",
            content=b'{"identifier": ',
            headers={"content-type": "application/json"},
        )
    assert missing.status_code == empty.status_code == not_json.status_code == 400
    assert missing.json()["detail"][0]["field"] == "identifier"
    assert broken.status_code == 400
    assert broken.json()["detail"][0]["field"] == "body"  # not the character position
    assert not_json.json() == {"detail": [{"field": "body", "message": BODY_NOT_OBJECT}]}


def test_forgot_password_page_names_an_empty_or_too_long_entry(demo: LiveServer) -> None:
    """An empty entry, or one longer than any address (a forged form), is told as such, with
    the field marked and the long entry kept, and nothing is sent."""
    with demo.client() as client:
        empty = post_form(client, "/forgot-password", {"identifier": "  "})
        long = post_form(client, "/forgot-password", {"identifier": "j" * 300})
    assert empty.status_code == long.status_code == 400
    assert "Enter your e-mail address or login name.</div>" in empty.text
    assert "An e-mail address or login name has at most 254 characters." in long.text
    assert f'value="{"j" * 300}"' in long.text
    assert all('name="identifier" aria-invalid="true"' in a.text for a in (empty, long))
    time.sleep(0.3)
    assert demo.devmail.mailbox.messages() == []


def test_forgot_password_page_answers_the_same(demo: LiveServer) -> None:
    """The HTML form shows the reference's sentence whether or not the account exists."""
    with demo.client() as client:
        known = post_form(client, "/forgot-password", {"identifier": "jane@demo.test"})
        unknown = post_form(client, "/forgot-password", {"identifier": "ghost@demo.test"})
        answer = client.get(known.headers["location"])
        reloaded = client.get(known.headers["location"])
    sentence = "If an account exists, an email with a link to reset your password has been sent."
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"] == "/forgot-password/sent"
    assert answer.status_code == 200 and sentence in answer.text
    # The answer has a page of its own: reloading it asks for no other e-mail.
    assert reloaded.status_code == 200 and sentence in reloaded.text
    demo.wait_for_mail(lambda m: m.rcpt_to == ["jane@demo.test"])
    time.sleep(0.5)
    assert len(demo.devmail.mailbox.messages()) == 1


def test_form_without_csrf_token_is_refused(demo: LiveServer) -> None:
    """A forgot-password form post without the CSRF token is 403 and sends nothing."""
    with demo.client() as client:
        client.get("/forgot-password")
        response = client.post("/forgot-password", data={"identifier": "jane@demo.test"})
    assert response.status_code == 403
    assert "The form has expired or did not come from this site." in response.text
    time.sleep(0.5)
    assert demo.devmail.mailbox.messages() == []
