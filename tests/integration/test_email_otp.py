"""The e-mail one-time code as an application's second factor: 8 digits by e-mail, valid 10
minutes, a new code only after 3 minutes, 5 wrong codes lock it for 60 minutes."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.db.base import utcnow
from gatehouse.processes.demo import DEMO_USER_PASSWORD
from gatehouse.processes.models import EmailOtpCode
from tests.support.accounts import add_user, api_client, sign_in, user_id_of
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, post_form

JANE = "jane@demo.test"
HOME = "https://travel.example/home"
CODE_RE = re.compile(r"\b(\d{8})\b")


@pytest.fixture
def app_id(demo: LiveServer) -> str:
    """Travel, an application asking for an e-mail code after the password."""
    with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
        app = api.post(
            "/admin/api/v1/applications", json={"name": "Travel", "home_url": HOME}
        ).json()
        assert api.put(f"/admin/api/v1/applications/{app['id']}", json={"email_otp": True}).json()[
            "email_otp"
        ]
    return str(app["id"])


def log_on(browser: httpx.Client, app_id: str) -> httpx.Response:
    page = browser.get(f"/?app={app_id}")
    return browser.post(
        "/",
        data={
            "identifier": JANE,
            "password": DEMO_USER_PASSWORD,
            "app": app_id,
            "csrf_token": csrf_token(page),
        },
    )


def codes(live: LiveServer, count: int = 1) -> list[str]:
    mails = live.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=count)
    found = [CODE_RE.search(m.text) for m in mails]
    return [m.group(1) for m in found if m]


def enter(browser: httpx.Client, app_id: str, code: str) -> httpx.Response:
    """The answer to a code: a refused one is shown on the code page the POST leads to."""
    page = browser.get(f"/logon/code?app={app_id}")
    answer = browser.post(
        "/logon/code", data={"code": code, "app": app_id, "csrf_token": csrf_token(page)}
    )
    if answer.headers.get("location", "").startswith("/logon/code?refused="):
        return browser.get(answer.headers["location"])
    return answer


def shift_code(live: LiveServer, **ago: timedelta) -> None:
    """Move the current code's issue or expiry time into the past."""

    async def shift(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            row = await session.scalar(select(EmailOtpCode))
            assert row is not None
            values = {name: getattr(row, name) - delta for name, delta in ago.items()}
            await session.execute(update(EmailOtpCode).values(**values))

    live.run(shift)


def test_code_by_email_completes_sign_in(demo: LiveServer, app_id: str) -> None:
    """Password, then the 8-digit code from the e-mail (browser language): signed in at home;
    a wrong code is refused, its field marked."""
    with demo.client(headers={"accept-language": "de"}) as browser:
        first = log_on(browser, app_id)
        assert first.status_code == 303
        assert first.headers["location"] == f"/logon/code?msg=code-sent&app={app_id}"
        assert browser.get("/profile").headers["location"] == "/"  # not signed in yet
        page = browser.get(first.headers["location"])
        assert "We sent an 8-digit code to <strong>j***@demo.test</strong>." in page.text
        [code] = codes(demo)
        [mail] = demo.devmail.mailbox.messages()
        assert mail.subject == "Ihr Anmeldecode für Travel"
        assert code in mail.html
        wrong = enter(browser, app_id, "00000000" if code != "00000000" else "11111111")
        # Shown on the code page the POST led to, so a reload does not post the code again.
        assert (wrong.url.path, wrong.url.params["refused"]) == ("/logon/code", "wrong")
        assert "The code is not correct. 4 attempts left." in wrong.text
        # The field the message is about is marked for assistive technology; not before.
        marked = 'name="code" aria-invalid="true" aria-describedby="page-error"'
        assert marked in wrong.text and marked not in page.text
        reloaded = browser.get(wrong.url)
        assert "The code is not correct. 4 attempts left." in reloaded.text
        done = enter(browser, app_id, f"{code[:4]} {code[4:]}")
        assert (done.status_code, done.headers["location"]) == (303, HOME)
        assert browser.get("/profile").status_code == 200
        leftover = browser.get(f"/logon/code?app={app_id}")  # no pending sign-in left
        assert leftover.headers["location"] == f"/?app={app_id}"


def test_application_without_second_factor_signs_in_at_once(demo: LiveServer) -> None:
    """Without the switch the password is enough and no e-mail is sent."""
    with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
        app = api.post("/admin/api/v1/applications", json={"name": "Wiki", "home_url": HOME})
    with demo.client() as browser:
        response = log_on(browser, app.json()["id"])
    assert (response.status_code, response.headers["location"]) == (303, HOME)
    time.sleep(0.3)
    assert demo.devmail.mailbox.messages() == []


def test_a_session_without_a_code_does_not_pass_an_application_asking_for_one(
    demo: LiveServer, app_id: str
) -> None:
    """Signed in at the tenant's own page (password only), the application's page asks for a
    sign-in with its code instead of going on to the application (it went on without one); once
    signed in with the code, the application's page goes on at once."""
    with demo.client() as browser:
        page = browser.get("/")
        signed_in = browser.post(
            "/",
            data={
                "identifier": JANE,
                "password": DEMO_USER_PASSWORD,
                "csrf_token": csrf_token(page),
            },
        )
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/profile")
        asked = browser.get(f"/?app={app_id}")
        assert asked.status_code == 200
        assert (
            "This application asks for a code sent to your e-mail address: sign in to get one."
            in asked.text
        )
        first = log_on(browser, app_id)
        assert first.headers["location"] == f"/logon/code?msg=code-sent&app={app_id}"
        [code] = codes(demo)
        assert enter(browser, app_id, code).headers["location"] == HOME
        again = browser.get(f"/?app={app_id}")
    assert (again.status_code, again.headers["location"]) == (303, HOME)


def test_changing_the_password_keeps_the_sessions_code(demo: LiveServer, app_id: str) -> None:
    """A session signed in with a code, re-issued when its user changes the password on the
    profile, still passes the application asking for one (it lost the code and asked again)."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [code] = codes(demo)
        assert enter(browser, app_id, code).headers["location"] == HOME
        page = browser.get("/profile")
        changed = browser.post(
            "/profile/password",
            data={
                "current_password": DEMO_USER_PASSWORD,
                "password": "Brand-New-Pass-7",
                "password_confirm": "Brand-New-Pass-7",
                "csrf_token": csrf_token(page),
            },
        )
        assert changed.headers["location"] == "/profile?msg=password-changed"
        again = browser.get(f"/?app={app_id}")
    assert (again.status_code, again.headers.get("location")) == (303, HOME)


def email_of(live: LiveServer, user_id: str) -> str:
    async def read(runtime: Any) -> str:
        async with runtime.sessions() as session:
            return str(await session.scalar(select(User.email).where(User.id == user_id)))

    return live.run(read)


def change_address(browser: httpx.Client, address: str) -> httpx.Response:
    page = browser.get("/profile")
    return browser.post(
        "/profile/email",
        data={
            "email": address,
            "email_password": DEMO_USER_PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )


def code_needed(application: str) -> str:
    """The profile's refusal to change the address while ``application`` asks for codes."""
    return (
        f"{application} asks for a code sent to your e-mail address: to change the address, "
        f"first sign in to {application} with its code."
    )


def test_the_address_moves_only_with_a_code_while_an_application_asks_for_one(
    demo: LiveServer, app_id: str
) -> None:
    """Signed in with the password alone, the profile cannot move the address that receives
    the codes (whoever had the password took the next code to their own address); signed in
    with a code, it can."""
    jane = user_id_of(demo, JANE)
    with demo.client() as browser:
        post_form(browser, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
        refused = change_address(browser, "mallory@elsewhere.test")
        assert refused.status_code == 400
        assert code_needed("Travel") in refused.text
        assert email_of(demo, jane) == JANE
        log_on(browser, app_id)
        [code] = codes(demo)
        assert enter(browser, app_id, code).headers["location"] == HOME
        done = change_address(browser, "jane.new@demo.test")
    assert done.headers["location"] == "/profile?msg=email-changed"
    assert email_of(demo, jane) == "jane.new@demo.test"


def test_new_code_only_after_three_minutes(demo: LiveServer, app_id: str) -> None:
    """Asking again at once keeps the code; after 3 minutes a new one replaces it."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [old] = codes(demo)
        page = browser.get(f"/logon/code?app={app_id}")
        kept = browser.post(
            "/logon/code/resend", data={"app": app_id, "csrf_token": csrf_token(page)}
        )
        assert kept.headers["location"] == f"/logon/code?msg=code-kept&app={app_id}"
        assert (
            "You can ask for a new code 3 minutes after the last one."
            in browser.get(kept.headers["location"]).text
        )
        time.sleep(0.3)
        assert len(demo.devmail.mailbox.messages()) == 1
        shift_code(demo, issued_at=timedelta(minutes=3))
        resent = browser.post(
            "/logon/code/resend", data={"app": app_id, "csrf_token": csrf_token(page)}
        )
        assert resent.headers["location"] == f"/logon/code?msg=code-sent&app={app_id}"
        new = codes(demo, count=2)[1]
        if new != old:
            assert "The code is not correct." in enter(browser, app_id, old).text
        assert enter(browser, app_id, new).headers["location"] == HOME


def test_code_expires_after_ten_minutes(demo: LiveServer, app_id: str) -> None:
    """A code older than 10 minutes is refused even when right."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [code] = codes(demo)
        shift_code(demo, issued_at=timedelta(minutes=10), expires_at=timedelta(minutes=10))
        expired = enter(browser, app_id, code)
    assert "The code has expired. Ask for a new code." in expired.text


def test_a_code_that_is_not_eight_digits_spends_no_attempt(demo: LiveServer, app_id: str) -> None:
    """Empty, letters, too short or too long (past the browser's pattern): the page asks for
    the 8 digits, and the attempts left stay five."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [code] = codes(demo)
        slips = [enter(browser, app_id, slip) for slip in ("", "abcdefgh", "1234", "123456789")]
        wrong = enter(browser, app_id, "00000000" if code != "00000000" else "11111111")
    assert [s.url.params["refused"] for s in slips] == ["malformed"] * 4
    assert all("Enter the 8 digits of the code from the e-mail." in s.text for s in slips)
    assert "The code is not correct. 4 attempts left." in wrong.text


def test_five_wrong_codes_lock_for_sixty_minutes(demo: LiveServer, app_id: str) -> None:
    """The fifth wrong code locks; the right password then sends no code until the lock ends."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [code] = codes(demo)
        wrong = "12345678" if code != "12345678" else "87654321"
        answers = [enter(browser, app_id, wrong) for _ in range(5)]
        assert "The code is not correct. 1 attempt left." in answers[3].text
        assert "Too many wrong codes: signing in with an e-mail code is locked until" in (
            answers[4].text
        )
        # Locked, the page offers no code to enter, nor a new one: only the way back.
        assert 'name="code"' not in answers[4].text and "Send a new code" not in answers[4].text
        assert "Back to sign in" in answers[4].text
        assert "locked until" in browser.get(f"/logon/code?app={app_id}").text  # stays so
        # The right code, posted anyway, is too late.
        token = csrf_token(browser.get(f"/?app={app_id}"))
        late = browser.post("/logon/code", data={"code": code, "app": app_id, "csrf_token": token})
        assert "locked until" in browser.get(late.headers["location"]).text
        again = log_on(browser, app_id)
        demo.run(lambda runtime: name_jane(runtime, "jane.d"))
        page = browser.get(f"/?app={app_id}")
        by_name = browser.post(
            "/",
            data={
                "identifier": "jane.d",
                "password": DEMO_USER_PASSWORD,
                "app": app_id,
                "csrf_token": csrf_token(page),
            },
        )
    assert again.status_code == 403
    assert "Too many wrong codes: signing in with an e-mail code is locked until" in again.text
    # The form keeps what was typed: a login name does not become the user's address.
    assert by_name.status_code == 403 and 'value="jane.d"' in by_name.text
    assert JANE not in by_name.text

    async def lock(runtime: Any) -> Any:
        async with runtime.sessions() as session:
            return await session.scalar(select(EmailOtpCode.locked_until))

    remaining = demo.run(lock) - utcnow()
    assert timedelta(minutes=59) < remaining <= timedelta(minutes=60)
    time.sleep(0.3)
    assert len(demo.devmail.mailbox.messages()) == 1


async def name_jane(runtime: Any, login_name: str) -> None:
    async with runtime.sessions.begin() as session:  # through the ORM: it keeps login_key
        jane = await session.scalar(select(User).where(User.email == JANE))
        jane.login_name = login_name


def test_a_code_after_the_pending_sign_in_ended_leads_to_the_applications_logon_page(
    demo: LiveServer, app_id: str
) -> None:
    """A code (or a new code) asked for once the pending sign-in is gone leads back to the
    application's logon page saying why; it led to /?app=<id>?msg=session-expired, whose
    application ID did not exist (404)."""
    with demo.client() as browser:
        token = csrf_token(browser.get(f"/?app={app_id}"))
        form = {"code": "12345678", "app": app_id, "csrf_token": token}
        answers = [browser.post(path, data=form) for path in ("/logon/code", "/logon/code/resend")]
        pages = [browser.get(a.headers["location"]) for a in answers]
    expected = f"/?msg=session-expired&app={app_id}"
    assert [(a.status_code, a.headers["location"]) for a in answers] == [(303, expected)] * 2
    assert all(p.status_code == 200 for p in pages)
    assert all("Your session has ended. Please sign in again." in p.text for p in pages)
    assert all(f'name="app" value="{app_id}"' in p.text for p in pages)


def test_code_form_needs_csrf_token(demo: LiveServer, app_id: str) -> None:
    """Like every form, the code form is refused without its CSRF token."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [code] = codes(demo)
        refused = browser.post("/logon/code", data={"code": code, "app": app_id})
    assert refused.status_code == 403


def test_user_profile_can_ask_for_a_code_too(demo: LiveServer) -> None:
    """The built-in application's switch applies to the tenant's own logon page."""
    with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
        api.put("/admin/api/v1/applications/user-profile", json={"email_otp": True})
    with demo.client() as browser:
        response = post_form(browser, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
    assert response.headers["location"] == "/logon/code?msg=code-sent"
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    assert mail.subject == "Your sign-in code for Demo Tenant"


def test_the_refusal_names_user_profile_as_users_know_it(demo: LiveServer) -> None:
    """Signed in with the password before User Profile asked for codes, the profile's refusal
    names it by the tenant's display name, as its e-mails do, not "User Profile"."""
    with demo.client() as browser:
        post_form(browser, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
        with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
            api.put("/admin/api/v1/applications/user-profile", json={"email_otp": True})
        refused = change_address(browser, "jane.new@demo.test")
    assert refused.status_code == 400
    assert code_needed("Demo Tenant") in refused.text


def test_email_otp_takes_only_a_json_boolean(demo: LiveServer, app_id: str) -> None:
    """A switch sent as "yes", 0 or "false" (read as true or false before) is refused naming
    the field, and nothing of the change is stored."""
    path = f"/admin/api/v1/applications/{app_id}"
    with demo.client(auth=api_client(demo, Authorization.MANAGE_APPLICATIONS)) as api:
        before = api.get(path).json()
        answers = [
            api.put(path, json={"email_otp": value, "home_url": "https://other.example/"})
            for value in ("yes", 0, "false")
        ]
        after = api.get(path).json()
    message = "The e-mail code must be true or false."
    refused = {"detail": {"field": "email_otp", "message": message}}
    assert [(a.status_code, a.json()) for a in answers] == [(422, refused)] * 3
    assert after == before
    assert (after["email_otp"], after["home_url"]) == (True, HOME)


def test_the_administrator_sees_and_ends_a_code_lock(demo: LiveServer, app_id: str) -> None:
    """Password Details show the lock of five wrong codes (it showed nothing, and nothing could
    end it); Unlock ends it, in the change log, and the next sign-in mails a code again."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [code] = codes(demo)
        for _ in range(5):
            enter(browser, app_id, "12345678" if code != "12345678" else "87654321")
    jane = user_id_of(demo, JANE)
    details = f"/admin/api/v1/users/{jane}/password-details"
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        locked = api.get(details).json()["email_code_locked_until"]
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{jane}?tab=authentication")
        unlocked = admin.post(
            f"/admin/users/{jane}/unlock-email-code", data={"csrf_token": csrf_token(page)}
        )
        after = admin.get(unlocked.headers["location"])
    assert locked is not None
    assert "E-Mail Codes Locked Until" in page.text and "/unlock-email-code" in page.text
    assert "E-mail codes unlocked." in after.text and "E-Mail Codes Locked Until" not in after.text
    assert "<td>E-mail code lock = Ended</td>" in after.text
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        assert api.get(details).json()["email_code_locked_until"] is None
    with demo.client() as browser:
        again = log_on(browser, app_id)
    assert again.headers["location"] == f"/logon/code?msg=code-sent&app={app_id}"
    assert len(codes(demo, count=2)) == 2


def test_read_users_sees_a_code_lock_but_cannot_end_it(demo: LiveServer, app_id: str) -> None:
    """A Read Users administrator sees the lock without an Unlock button and is refused (403)."""
    with demo.client() as browser:
        log_on(browser, app_id)
        [code] = codes(demo)
        for _ in range(5):
            enter(browser, app_id, "12345678" if code != "12345678" else "87654321")
    add_user(
        demo,
        "reader@demo.test",
        password="Reader-Pass-1",
        authorizations=frozenset({Authorization.READ_USERS}),
    )
    jane = user_id_of(demo, JANE)
    with demo.client() as reader:
        sign_in(reader, "reader@demo.test", "Reader-Pass-1")
        page = reader.get(f"/admin/users/{jane}?tab=authentication")
        refused = reader.post(
            f"/admin/users/{jane}/unlock-email-code", data={"csrf_token": csrf_token(page)}
        )
    assert "E-Mail Codes Locked Until" in page.text and "/unlock-email-code" not in page.text
    assert refused.status_code == 403
