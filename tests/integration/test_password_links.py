"""Password links and lockout through the live server: an expired link renews itself (within
the limit), a used one is refused, validity follows the tenant's settings, and five failed
logons lock the password and send the Locked Password e-mail."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import LinkToken, User
from gatehouse.accounts.tokens import mark_renewed
from gatehouse.db.base import utcnow
from gatehouse.processes import password_links
from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD, DEMO_USER_PASSWORD
from tests.support.accounts import (
    JANE,
    LIMIT_SENTENCE,
    add_user,
    forgot,
    limit_rows,
    mails_to,
    sign_in,
    user_id_of,
)
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, link_in, path_of, post_form

RENEWED = "This link has expired. We have sent you a new one: check your e-mail."
ALREADY_RENEWED = "This link has expired. A new link has already been sent to you."
LOGON_FAILED = "The e-mail, login name or password is not correct."
LOCKED = "Your password is locked after too many failed logons."
SUPERSEDED = (
    "This link is no longer valid: the password was set after it was sent. Request a new one "
    "if you still need it."
)


def expire_links(live: LiveServer) -> None:
    async def expire(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await session.execute(
                update(LinkToken).values(expires_at=utcnow() - timedelta(seconds=1))
            )

    live.run(expire)


def link_lifetimes(live: LiveServer) -> dict[str, timedelta]:
    """Each link's validity at issue, by the e-mail process that carried it (latest wins)."""

    async def read(runtime: Any) -> dict[str, timedelta]:
        async with runtime.sessions() as session:
            rows = await session.scalars(select(LinkToken).order_by(LinkToken.created_at))
            return {str(t.process): t.expires_at - t.created_at for t in rows}

    result: dict[str, timedelta] = live.run(read)
    return result


def expired_reset_link(demo: LiveServer) -> str:
    """The path of Jane's Forgot Password link, sent and then expired."""
    forgot(demo, JANE)
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    expire_links(demo)
    return path_of(link_in(mail.text))


def test_expired_link_sends_a_new_one_once(demo: LiveServer) -> None:
    """Following an expired link sends a fresh link that works; the old one renews only once."""
    old = expired_reset_link(demo)
    with demo.client() as client:
        page = client.get(old)
        assert page.status_code == 200 and RENEWED in page.text
        [_, second] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=2)
        again = client.get(old)
        assert again.status_code == 400 and ALREADY_RENEWED in again.text
        fresh = client.get(path_of(link_in(second.text)))
    assert path_of(link_in(second.text)) != old
    assert fresh.status_code == 200 and "Set a new password" in fresh.text
    assert limit_rows(demo)["counted"] == 2  # the renewal is counted like any reset e-mail


def test_head_of_an_expired_link_sends_nothing(demo: LiveServer) -> None:
    """Mail scanners ask HEAD of the links in e-mails: that neither sends a new link nor uses
    up the link's one renewal, which the user's own visit then makes."""
    old = expired_reset_link(demo)
    with demo.client() as client:
        head = client.head(old)
        time.sleep(0.5)
        assert head.status_code == 400 and len(mails_to(demo)) == 1
        page = client.get(old)
    assert page.status_code == 200 and RENEWED in page.text
    demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=2)


def test_expired_link_at_the_limit_says_so_and_sends_nothing(demo: LiveServer) -> None:
    """With three e-mails already sent, an expired link explains the limit instead."""
    for _ in range(3):
        forgot(demo, JANE)
    [first, *_] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=3)
    expire_links(demo)
    with demo.client() as client:
        page = client.get(path_of(link_in(first.text)))
        retry = client.get(path_of(link_in(first.text)))
    assert page.status_code == 400
    assert f"This link has expired. {LIMIT_SENTENCE}" in page.text
    assert f"This link has expired. {LIMIT_SENTENCE}" in retry.text  # not marked renewed
    time.sleep(0.5)
    assert len(mails_to(demo)) == 3


def test_an_expired_link_purged_while_followed_is_not_valid(
    demo: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hourly purge deletes links 30 days after they expired; one deleted between being
    found and being marked renewed is refused as not valid, not answered with an error 500."""

    async def purged_first(session: AsyncSession, record: LinkToken) -> bool:
        await session.execute(
            delete(LinkToken)
            .where(LinkToken.token_hash == record.token_hash)
            .execution_options(synchronize_session=False)
        )
        return await mark_renewed(session, record)

    monkeypatch.setattr(password_links, "mark_renewed", purged_first)
    old = expired_reset_link(demo)
    with demo.client() as client:
        page = client.get(old)
    assert page.status_code == 400 and "This link is not valid. Request a new one." in page.text
    time.sleep(0.5)
    assert len(mails_to(demo)) == 1


def test_used_link_is_refused_with_its_reason(demo: LiveServer) -> None:
    """After the password is set, the same link says it was used, even once expired."""
    forgot(demo, JANE)
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    path = path_of(link_in(mail.text))
    with demo.client() as client:
        set_new_password(client, path, client.get(path), "New-Secret-99")
        expire_links(demo)
        used = client.get(path)
    assert used.status_code == 400
    assert "This link has already been used. Request a new one if you still need it." in used.text


def test_links_sent_before_the_password_was_set_stop_working(demo: LiveServer) -> None:
    """Three links, the newest used: the two older ones no longer show the form nor set the
    password, even once expired (no new link is sent for them either)."""
    for _ in range(3):
        forgot(demo, JANE)
    mails = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=3)
    first, second, newest = (path_of(link_in(mail.text)) for mail in mails)
    with demo.client() as client:
        form = client.get(newest)
        done = set_new_password(client, newest, form, "New-Secret-99")
        assert done.status_code in (200, 303)
        shown = client.get(first)
        older = client.get(second)
        refused = set_new_password(client, second, form, "Other-Secret-77")
        expire_links(demo)
        expired = client.get(first)
    for page in (shown, older, refused, expired):
        assert page.status_code == 400
        assert SUPERSEDED in page.text and "Set a new password" not in page.text
    time.sleep(0.5)
    assert len(mails_to(demo)) == 3  # the expired old link sent nothing
    with demo.client() as client:
        assert logon(client, "Other-Secret-77").status_code == 401
        assert logon(client, "New-Secret-99").status_code == 303


def sign_in_jane(client: httpx.Client, password: str = DEMO_USER_PASSWORD) -> None:
    assert logon(client, password).status_code == 303
    assert client.get("/profile").status_code == 200


def test_a_new_password_signs_out_every_other_browser(demo: LiveServer) -> None:
    """Changed on the profile: the other browsers are signed out, this one stays, with a new
    session (its old cookie is refused). Set with a reset link: every browser is signed out."""
    with demo.client() as here, demo.client() as there:
        sign_in_jane(here)
        sign_in_jane(there)
        before = here.cookies["gh_user"]
        profile = here.get("/profile")
        same = here.post(
            "/profile/password",
            data={
                "current_password": DEMO_USER_PASSWORD,
                "password": DEMO_USER_PASSWORD,
                "password_confirm": DEMO_USER_PASSWORD,
                "csrf_token": csrf_token(profile),
            },
        )
        assert same.status_code == 400
        assert "The new password is your current one: choose another." in same.text
        assert there.get("/profile").status_code == 200  # nothing changed, nobody signed out
        # The refused form's address opened again: the profile page, not "not allowed".
        for section in ("password", "email", "language"):
            reopened = here.get(f"/profile/{section}")
            assert (reopened.status_code, reopened.headers["location"]) == (303, "/profile")
        changed = here.post(
            "/profile/password",
            data={
                "current_password": DEMO_USER_PASSWORD,
                "password": "Second-Pass-22",
                "password_confirm": "Second-Pass-22",
                "csrf_token": csrf_token(profile),
            },
        )
        assert changed.headers["location"] == "/profile?msg=password-changed"
        assert here.get("/profile").status_code == 200
        assert there.get("/profile").status_code == 303  # signed out
        # This browser stays signed in with a new session: the old cookie no longer works.
        assert here.cookies["gh_user"] != before
        with demo.client(cookies={"gh_user": before}) as stolen:
            assert stolen.get("/profile").status_code == 303
        sign_in_jane(there, "Second-Pass-22")
        forgot(demo, JANE)
        [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
        with demo.client() as holder:
            path = path_of(link_in(mail.text))
            done = set_new_password(holder, path, holder.get(path), "Third-Pass-333")
        assert done.status_code == 303
        assert here.get("/profile").status_code == there.get("/profile").status_code == 303


def test_a_password_changed_on_the_profile_ends_the_console_session(demo: LiveServer) -> None:
    """An administrator who changes the password on the profile stays signed in there, and
    signs in to the console again (its cookie, sent only to /admin, cannot be told from
    another browser's)."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        signed_in = logon(client, DEMO_ADMIN_PASSWORD, identifier="admin@demo.test")
        assert signed_in.status_code == 303
        changed = client.post(
            "/profile/password",
            data={
                "current_password": DEMO_ADMIN_PASSWORD,
                "password": "Admin-Second-22",
                "password_confirm": "Admin-Second-22",
                "csrf_token": csrf_token(client.get("/profile")),
            },
        )
        assert changed.headers["location"] == "/profile?msg=password-changed"
        assert client.get("/profile").status_code == 200
        assert client.get("/admin").headers["location"] == "/admin/signin"


def test_an_address_change_ends_the_links_sent_to_the_old_one(demo: LiveServer) -> None:
    """A reset link that went to the old address no longer works once the address changed."""
    forgot(demo, JANE)
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    path = path_of(link_in(mail.text))
    with demo.client() as client:
        sign_in_jane(client)
        changed = client.post(
            "/profile/email",
            data={
                "email": "jane.new@demo.test",
                "email_password": DEMO_USER_PASSWORD,
                "csrf_token": csrf_token(client.get("/profile")),
            },
        )
        assert changed.headers["location"] == "/profile?msg=email-changed"
        old_link = client.get(path)
    assert old_link.status_code == 400
    assert "This link is not valid. Request a new one." in old_link.text


def set_new_password(
    client: httpx.Client, path: str, form: httpx.Response, password: str
) -> httpx.Response:
    return client.post(
        "/reset-password",
        data={
            "token": path.split("token=")[1],
            "password": password,
            "password_confirm": password,
            "csrf_token": csrf_token(form),
        },
    )


def save_validity(client: httpx.Client, **values: tuple[int, str]) -> httpx.Response:
    page = client.get("/admin/tenant-settings/link-validity")
    data = {"csrf_token": csrf_token(page)}
    defaults = {
        "forgot-password": (2, "hours"),
        "locked-password": (2, "hours"),
        "reset-password": (2, "hours"),
        "self-registration": (14, "days"),
        "on-behalf-registration": (14, "days"),
        "invitation": (14, "days"),
    }
    for process, (amount, unit) in {**defaults, **values}.items():
        data[f"{process}.amount"], data[f"{process}.unit"] = str(amount), unit
    return client.post("/admin/tenant-settings/link-validity", data=data)


def test_link_validity_settings_apply_to_new_links(demo: LiveServer) -> None:
    """Forgot password 5 hours and on-behalf registration 3 days: new links get exactly that."""
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        saved = save_validity(
            admin, **{"forgot-password": (5, "hours"), "on-behalf-registration": (3, "days")}
        )
        assert saved.status_code == 303
        page = admin.get(saved.headers["location"])
        assert "Link validity saved." in page.text and 'value="5"' in page.text
        # The change log names the processes as the form does.
        assert "Forgot Password = 5 hours, On-Behalf Registration = 3 days" in page.text
        post_form(admin, "/admin/users/new", {"email": "new@demo.test", "language": "en"})
    forgot(demo, JANE)
    lifetimes = link_lifetimes(demo)
    assert abs(lifetimes["forgot-password"] - timedelta(hours=5)) < timedelta(seconds=5)
    assert abs(lifetimes["on-behalf-registration"] - timedelta(days=3)) < timedelta(seconds=5)


def test_a_stale_link_validity_page_saves_only_its_own_change(demo: LiveServer) -> None:
    """Tab A sets Forgot Password to 5 hours; tab B, loaded before, sets Invitation to 3 days:
    Forgot Password keeps A's 5 hours instead of B's stale 2."""
    path = "/admin/tenant-settings/link-validity"

    def form_of(page: httpx.Response, **values: tuple[int, str]) -> dict[str, str]:
        data = {"csrf_token": csrf_token(page)}
        for name, value in re.findall(r'name="([a-z-]+\.shown)" value="([^"]*)"', page.text):
            process = name.split(".")[0]
            amount, unit = values.get(process, tuple(value.split(":")))
            data |= {name: value, f"{process}.amount": str(amount), f"{process}.unit": unit}
        return data

    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        tab_a, tab_b = admin.get(path), admin.get(path)
        assert len(form_of(tab_a)) == 1 + 3 * 6
        admin.post(path, data=form_of(tab_a, **{"forgot-password": (5, "hours")}))
        saved = admin.post(path, data=form_of(tab_b, invitation=(3, "days")))
        page = admin.get(saved.headers["location"]).text
    assert 'name="forgot-password.shown" value="5:hours"' in page
    assert 'name="invitation.shown" value="3:days"' in page
    assert "<td>Invitation = 3 days</td>" in page


def test_link_validity_out_of_range_is_refused(demo: LiveServer) -> None:
    """24 hours or 31 days are refused with the rule, naming the process; nothing changes."""
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        hours = save_validity(admin, **{"reset-password": (24, "hours")})
        days = save_validity(admin, **{"invitation": (31, "days")})
        zero = save_validity(admin, **{"forgot-password": (0, "hours")})
        both = save_validity(admin, **{"forgot-password": (0, "hours"), "invitation": (5, "hours")})
    assert hours.status_code == days.status_code == zero.status_code == 422
    assert "Reset Password: Choose 1 to 23 hours or 1 to 30 days." in hours.text
    assert "Invitation: Choose 1 to 23 hours or 1 to 30 days." in days.text
    assert "Forgot Password: Choose 1 to 23 hours or 1 to 30 days." in zero.text
    marked = 'aria-invalid="true" aria-describedby="page-error"'  # only the process in error
    assert f'name="forgot-password.amount" {marked}' in zero.text
    assert f'name="forgot-password.unit" {marked}' in zero.text
    assert zero.text.count(marked) == 2
    # The refused form keeps what was sent in every row, the wrong value and the others.
    assert (
        'name="forgot-password.amount" '
        + marked
        + ' type="number" min="1" max="30" required value="0"'
        in both.text
    )
    assert 'name="invitation.amount" type="number" min="1" max="30" required value="5"' in both.text
    invitation_row = both.text.split('name="invitation.unit"')[1].split("</select>")[0]
    assert '<option value="hours" selected>' in invitation_row  # sent, where days are stored
    forgot(demo, JANE)
    assert link_lifetimes(demo)["forgot-password"] - timedelta(hours=2) < timedelta(seconds=5)


def logon(client: httpx.Client, password: str, identifier: str = JANE) -> httpx.Response:
    return post_form(client, "/", {"identifier": identifier, "password": password})


def test_five_failed_logons_lock_and_send_the_locked_password_email(demo: LiveServer) -> None:
    """Four failures change nothing visible; the fifth locks the password and queues the Locked
    Password e-mail; the right password is then refused as a wrong one is; the e-mail's link
    sets a new password and ends the lock."""
    with demo.client() as client:
        failures = [logon(client, "Wrong-Pass-1") for _ in range(5)]
        assert all(f.status_code == 401 and LOGON_FAILED in f.text for f in failures)
        [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
        locked = logon(client, DEMO_USER_PASSWORD)
        assert locked.status_code == 401 and LOGON_FAILED in locked.text
        assert LOCKED not in locked.text
        path = path_of(link_in(mail.text))
        form = client.get(path)
        done = client.post(
            "/reset-password",
            data={
                "token": path.split("token=")[1],
                "password": "Unlocked-Now-7",
                "password_confirm": "Unlocked-Now-7",
                "csrf_token": csrf_token(form),
            },
        )
        assert done.status_code == 303
        assert logon(client, "Unlocked-Now-7").status_code == 303
    assert link_lifetimes(demo)["locked-password"] - timedelta(hours=2) < timedelta(seconds=5)
    assert limit_rows(demo)["counted"] == 1


def test_an_expired_locked_password_link_renews_in_the_profile_language(
    demo: LiveServer,
) -> None:
    """The Locked Password e-mail goes out in the user's profile language, and so does its
    renewal, whatever the language of the browser that follows the expired link (the renewal
    took the browser's)."""
    with demo.client() as client:
        for _ in range(5):
            logon(client, "Wrong-Pass-1")
    [first] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    expire_links(demo)
    with demo.client(headers={"accept-language": "ja"}) as browser:
        assert RENEWED in browser.get(path_of(link_in(first.text))).text
    [_, renewed] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=2)
    assert renewed.subject == first.subject  # Jane's profile language: English


def test_concurrent_failures_send_one_locked_email(demo: LiveServer) -> None:
    """Ten simultaneous wrong passwords lock once: exactly one Locked Password e-mail."""
    barrier = threading.Barrier(10)

    def attempt(_: int) -> int:
        with demo.client() as client:
            page = client.get("/")
            barrier.wait()
            response = client.post(
                "/",
                data={"identifier": JANE, "password": "Wrong-1", "csrf_token": csrf_token(page)},
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(attempt, range(10))) == [401] * 10
    demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    time.sleep(0.5)
    assert len(mails_to(demo)) == 1
    assert limit_rows(demo) == {"counted": 1, "outbox": 1}


def test_locked_password_email_respects_the_limit(demo: LiveServer) -> None:
    """At the limit the lock still applies, but no Locked Password e-mail is sent."""
    for _ in range(3):
        forgot(demo, JANE)
    with demo.client() as client:
        for _ in range(5):
            logon(client, "Wrong-Pass-1")
        locked = logon(client, DEMO_USER_PASSWORD)
    assert limit_rows(demo) == {"counted": 3, "refused": 1, "outbox": 3}
    assert locked.status_code == 401 and LOGON_FAILED in locked.text


def test_a_locked_password_tells_no_guess_apart(demo: LiveServer) -> None:
    """While locked, the right password gets the very answer of a wrong one, on the logon page
    and the console's sign-in alike: guessing on through the lock learns nothing."""
    with demo.client() as client:
        for _ in range(5):
            logon(client, "Wrong-Pass-1")
        answers = {guess: logon(client, guess) for guess in ("Guess-Pass-2", DEMO_USER_PASSWORD)}
        console = {
            guess: post_form(client, "/admin/signin", {"identifier": JANE, "password": guess})
            for guess in ("Guess-Pass-2", DEMO_USER_PASSWORD)
        }
    wrong, right = (answers[g] for g in ("Guess-Pass-2", DEMO_USER_PASSWORD))
    assert (right.status_code, right.text) == (wrong.status_code, wrong.text)
    assert right.status_code == 401 and LOGON_FAILED in right.text and LOCKED not in right.text
    wrong, right = (console[g] for g in ("Guess-Pass-2", DEMO_USER_PASSWORD))
    assert (right.status_code, right.text) == (wrong.status_code, wrong.text)
    assert LOCKED not in right.text


def test_administrator_unlocks_the_password(demo: LiveServer) -> None:
    """After the admin's Unlock, jane signs in with her old password; the change log says so."""
    with demo.client() as client:
        for _ in range(5):
            logon(client, "Wrong-Pass-1")

    async def jane_id(runtime: Any) -> str:
        async with runtime.sessions() as session:
            return str(await session.scalar(select(User.id).where(User.email == JANE)))

    uid = demo.run(jane_id)
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{uid}?tab=authentication")
        assert "Locked" in page.text and f"/admin/users/{uid}/unlock" in page.text
        unlocked = admin.post(f"/admin/users/{uid}/unlock", data={"csrf_token": csrf_token(page)})
        after = admin.get(unlocked.headers["location"])
    assert "Password unlocked." in after.text
    assert "<td>Changed</td>" in after.text and "<td>Password lock = Ended</td>" in after.text
    with demo.client() as client:
        assert logon(client, DEMO_USER_PASSWORD).status_code == 303


def test_a_users_own_changes_are_in_their_change_log(demo: LiveServer) -> None:
    """What users change themselves (language and password on the profile, a password set with
    a reset link) is in their change log, by them, the password only as how it was set."""
    with demo.client() as browser:
        sign_in_jane(browser)
        profile = browser.get("/profile")
        language = {"language": "de", "csrf_token": csrf_token(profile)}
        assert browser.post("/profile/language", data=language).status_code == 303
        changed = browser.post(
            "/profile/password",
            data={
                "current_password": DEMO_USER_PASSWORD,
                "password": "Second-Pass-22",
                "password_confirm": "Second-Pass-22",
                "csrf_token": csrf_token(profile),
            },
        )
        assert changed.status_code == 303
    forgot(demo, JANE)
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    with demo.client() as holder:
        path = path_of(link_in(mail.text))
        assert set_new_password(holder, path, holder.get(path), "Third-Pass-333").status_code == 303
    with demo.client() as console:
        sign_in(console, "admin@demo.test")
        page = console.get(f"/admin/users/{user_id_of(demo, JANE)}").text
    log = page.split("Change log")[1]
    # The column says who changed it: here the user, no administrator.
    assert "<th>Changed by</th>" in log and "<th>Administrator</th>" not in log
    by_jane = "<td>jane@demo.test (the user)</td><td>Changed</td>"
    for change in (
        "Language = Deutsch",
        "Password = changed on the profile page",
        "Password = set with a reset link",
    ):
        assert f"{by_jane}\n      <td>{change}</td>" in log
    assert "Second-Pass-22" not in page and "Third-Pass-333" not in page


def test_a_user_with_the_longest_address_changes_their_password(demo: LiveServer) -> None:
    """An address of 252 characters fits the change log's actor ("user:" and the address):
    on PostgreSQL the profile's password change failed with an internal error."""
    address = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "test"
    add_user(demo, address)
    with demo.client() as browser:
        assert logon(browser, "User-Pass-123", identifier=address).status_code == 303
        changed = browser.post(
            "/profile/password",
            data={
                "current_password": "User-Pass-123",
                "password": "Second-Pass-22",
                "password_confirm": "Second-Pass-22",
                "csrf_token": csrf_token(browser.get("/profile")),
            },
        )
    assert changed.headers["location"] == "/profile?msg=password-changed"


def test_confirming_the_password_on_the_profile_counts_toward_the_lock(demo: LiveServer) -> None:
    """A signed-in session cannot guess the password through the profile's forms: each wrong
    current password counts as a failed logon, the fifth locks the password (and sends the
    Locked Password e-mail), and then the right one is refused as well."""
    wrong_current = "The current password is not correct."
    with demo.client() as client:
        assert logon(client, DEMO_USER_PASSWORD).status_code == 303
        token = csrf_token(client.get("/profile"))

        def change_password(current: str) -> httpx.Response:
            fields = {"current_password": current, "password": "New-Pass-99"}
            data = {**fields, "password_confirm": "New-Pass-99", "csrf_token": token}
            return client.post("/profile/password", data=data)

        def change_email(current: str) -> httpx.Response:
            data = {"email": "jane.new@demo.test", "email_password": current, "csrf_token": token}
            return client.post("/profile/email", data=data)

        guesses = [change_email(f"Guess-{n}-Email") for n in range(2)]
        guesses += [change_password(f"Guess-{n}-Password") for n in range(3)]
        assert [g.status_code for g in guesses] == [400] * 5
        assert all(wrong_current in g.text for g in guesses)
        demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
        right = change_password(DEMO_USER_PASSWORD)
        assert right.status_code == 400 and wrong_current in right.text
        assert change_email(DEMO_USER_PASSWORD).status_code == 400
    assert limit_rows(demo) == {"counted": 1, "outbox": 1}  # the Locked Password e-mail
    with demo.client() as other:  # neither the password nor the address changed
        assert logon(other, "New-Pass-99").status_code == 401
        assert logon(other, DEMO_USER_PASSWORD, identifier="jane.new@demo.test").status_code == 401
