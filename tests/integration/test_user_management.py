"""Console > User Management: list, search and paging, create (with the activation e-mail),
deactivate and activate, Password Details with Reset Counter; Read Users only reads; every
form needs its CSRF token."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import LimitedEmail
from gatehouse.db.base import utcnow
from gatehouse.mail.models import OutboxMessage
from gatehouse.processes.demo import DEMO_USER_PASSWORD
from gatehouse.processes.models import EmailOtpCode
from gatehouse.processes.onboarding import onboard_tenant
from tests.support.accounts import JANE, add_user, api_client, forgot, sign_in, user_id_of
from tests.support.delivery import onboard, point_demo_at
from tests.support.live import LiveServer, free_port
from tests.support.pages import csrf_token, link_in, path_of, post_form, press
from tests.support.smtp_servers import Pki, ScriptedHandler, SmtpServer

READER = "reader@demo.test"
READER_PASSWORD = "Reader-Pass-1"
USER_LINK_RE = re.compile(r'href="/admin/users/[0-9a-f]{32}"')
COUNT_RE = re.compile(r'<strong id="password-reset-count">(\d+)</strong> of 3')


@pytest.fixture
def reader(demo: LiveServer) -> str:
    add_user(
        demo,
        READER,
        password=READER_PASSWORD,
        authorizations=frozenset({Authorization.READ_USERS}),
    )
    return READER


def reset_count(page_text: str) -> int:
    match = COUNT_RE.search(page_text)
    assert match, "no Password Reset count on the page"
    return int(match.group(1))


def test_tile_list_search_and_paging(demo: LiveServer) -> None:
    """The tile leads to the first 20 users; search matches name, e-mail or login name; the
    next page holds the rest; a search finding nobody says so once."""
    for n in range(22):
        add_user(demo, f"member{n:02d}@demo.test")
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        home = admin.get("/admin")
        first = admin.get("/admin/users")
        second = admin.get("/admin/users?page=2")
        by_name = admin.get("/admin/users", params={"q": "jane doe"})
        by_mail = admin.get("/admin/users", params={"q": "MEMBER0"})
        not_a_page = admin.get("/admin/users?page=abc")
        superscript = admin.get("/admin/users?page=%C2%B2")  # a digit to str.isdigit()
        blank = admin.get("/admin/users", params={"q": " "})
        nobody = admin.get("/admin/users", params={"q": "nobody-here"})
    assert 'href="/admin/users"' in home.text and "User Management" in home.text
    assert "24 users." in first.text and len(USER_LINK_RE.findall(first.text)) == 20
    assert "Page 1 of 2" in first.text and len(USER_LINK_RE.findall(second.text)) == 4
    assert "1 user matches “jane doe”." in by_name.text and JANE in by_name.text
    assert not_a_page.status_code == 200 and "Page 1 of 2" in not_a_page.text
    assert superscript.status_code == 200 and "Page 1 of 2" in superscript.text
    assert "10 users match" in by_mail.text
    assert "24 users." in blank.text and "match" not in blank.text  # white space: no search
    assert "No users match “nobody-here”." in nobody.text and "0 users" not in nobody.text


def test_create_user_sends_the_activation_email(demo: LiveServer) -> None:
    """A new user is created awaiting activation and gets the On-Behalf Registration e-mail,
    whose link activates the account."""
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        created = post_form(
            admin,
            "/admin/users/new",
            {
                "email": "Newbie@Demo.test",
                "first_name": "New",
                "last_name": "Bie",
                "language": "en",
            },
        )
        assert created.status_code == 303
        page = admin.get(created.headers["location"])
        duplicate = post_form(admin, "/admin/users/new", {"email": "newbie@demo.test"})
        invalid = post_form(admin, "/admin/users/new", {"email": "not-an-address"})
    assert "User created. The activation e-mail is on its way." in page.text
    assert "New Bie" in page.text and "newbie@demo.test" in page.text and "New" in page.text
    assert duplicate.status_code == 422
    assert "A user with the e-mail newbie@demo.test already exists." in duplicate.text
    assert invalid.status_code == 422 and "E-Mail: Not a valid e-mail address" in invalid.text
    assert 'id="page-error"' in invalid.text  # the field is described by the error
    assert '<input id="email" name="email" aria-invalid="true" aria-describedby="page-error"' in (
        invalid.text
    )
    assert 'name="first_name" aria-invalid' not in invalid.text
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["newbie@demo.test"])
    assert "/activate?token=" in link_in(mail.text)
    with demo.client() as user:
        assert user.get(path_of(link_in(mail.text))).status_code == 200


def test_login_names_are_one_per_tenant_upper_or_lower_case_alike(demo: LiveServer) -> None:
    """ "bob" and "BOB" would be two people easily taken for one: the second is refused."""
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        bob = {"email": "bob@demo.test", "login_name": "bob"}
        assert post_form(admin, "/admin/users/new", bob).status_code == 303
        other = {"email": "carol@demo.test", "login_name": "BOB"}
        refused = post_form(admin, "/admin/users/new", other)
    assert refused.status_code == 422
    assert "A user with the login name BOB already exists." in refused.text
    assert 'name="login_name" aria-invalid="true"' in refused.text  # the field in error
    assert 'name="email" aria-invalid' not in refused.text


def test_a_login_name_signs_in_in_any_letter_case(demo: LiveServer) -> None:
    """Login names are one per tenant in any letter case, so they sign in so too ("mixed.case"
    was refused as taken by "Mixed.Case", yet did not sign in as it)."""
    add_user(demo, "mixed@demo.test", login_name="Mixed.Case")
    with demo.client() as user:
        signed_in = post_form(user, "/", {"identifier": "mixed.CASE", "password": "User-Pass-123"})
        profile = user.get("/profile")
    assert signed_in.status_code == 303
    assert profile.status_code == 200 and "mixed@demo.test" in profile.text


def test_an_address_and_a_login_name_are_never_two_peoples(demo: LiveServer) -> None:
    """A login name that is another user's address (or an address that is another user's
    login name) would sign in as whichever the lookup found first: both are refused, naming the
    field, and nothing is created; so is an address change on the profile to such a name."""
    add_user(demo, "boss@demo.test")
    add_user(demo, "owner@demo.test", login_name="Chief@Demo.test")
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        login = post_form(
            admin, "/admin/users/new", {"email": "a2@demo.test", "login_name": "BOSS@demo.test"}
        )
        address = post_form(admin, "/admin/users/new", {"email": "chief@demo.test"})
        listing = admin.get("/admin/users").text
    assert login.status_code == address.status_code == 422
    assert "The login name BOSS@demo.test is another user&#39;s e-mail address." in login.text
    assert 'name="login_name" aria-invalid="true"' in login.text
    assert "The e-mail address chief@demo.test is another user&#39;s login name." in address.text
    assert 'name="email" aria-invalid="true"' in address.text
    assert "a2@demo.test" not in listing and "chief@demo.test" not in listing
    with demo.client() as boss:
        post_form(boss, "/", {"identifier": "boss@demo.test", "password": "User-Pass-123"})
        token = csrf_token(boss.get("/profile"))
        changed = boss.post(
            "/profile/email",
            data={
                "email": "chief@demo.test",
                "email_password": "User-Pass-123",
                "csrf_token": token,
            },
        )
    assert changed.status_code == 400
    assert "Another account uses this e-mail address." in changed.text


@pytest.mark.parametrize("name_field", ["first_name", "last_name"])
def test_a_name_over_64_characters_is_refused_not_cut(demo: LiveServer, name_field: str) -> None:
    """Create User with a 70-character name: refused naming the field, nothing created (it
    was saved cut to 64 characters with a success message)."""
    label = name_field.replace("_", " ")
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        refused = post_form(
            admin, "/admin/users/new", {"email": "long@demo.test", name_field: "N" * 70}
        )
        listing = admin.get("/admin/users").text
    assert refused.status_code == 422
    assert f"The {label} must have at most 64 characters." in refused.text
    assert f'name="{name_field}" aria-invalid="true"' in refused.text
    assert "long@demo.test" not in listing


def test_a_language_not_offered_is_refused_not_replaced(demo: LiveServer) -> None:
    """Create User with a language the menu does not offer (a forged form): refused naming
    the field, nothing created (the user was created in English without a word)."""
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        refused = post_form(
            admin, "/admin/users/new", {"email": "polyglot@demo.test", "language": "xx"}
        )
        listing = admin.get("/admin/users").text
    assert refused.status_code == 422
    assert "Language: Choose one of: en, de, fr, es, it, pt, ja, zh." in refused.text
    assert "polyglot@demo.test" not in listing


def test_login_names_beyond_ascii_are_one_per_tenant_in_either_case(demo: LiveServer) -> None:
    """Letters beyond ASCII have cases too: "ÄRGER" is "ärger", "STRASSE" is "straße"."""
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        for email, login_name in (("a1@demo.test", "ärger"), ("s1@demo.test", "straße")):
            added = post_form(admin, "/admin/users/new", {"email": email, "login_name": login_name})
            assert added.status_code == 303
        upper = post_form(
            admin, "/admin/users/new", {"email": "a2@demo.test", "login_name": "ÄRGER"}
        )
        sharp = post_form(
            admin, "/admin/users/new", {"email": "s2@demo.test", "login_name": "STRASSE"}
        )
    for refused, login_name in ((upper, "ÄRGER"), (sharp, "STRASSE")):
        assert refused.status_code == 422
        assert f"A user with the login name {login_name} already exists." in refused.text
        assert 'name="login_name" aria-invalid="true"' in refused.text


def test_search_finds_names_beyond_ascii_in_either_case(demo: LiveServer) -> None:
    """A capital beyond ASCII ("Östlund") is found by "östlund" and "ÖSTLUND"; "Weiß" by
    "WEISS", as case folding has it."""
    add_user(demo, "asa@demo.test", first_name="Åsa", last_name="Östlund")
    add_user(demo, "jurgen@demo.test", first_name="Jürgen", last_name="Weiß")
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        pages = {
            q: admin.get("/admin/users", params={"q": q}).text
            for q in ("Östlund", "östlund", "ÖSTLUND", "åsa östlund", "WEISS", "weiß")
        }
    for q, page in pages.items():
        assert f"1 user matches “{q}”." in page, q
    for q in ("Östlund", "östlund", "ÖSTLUND", "åsa östlund"):
        assert "asa@demo.test" in pages[q] and "jurgen@demo.test" not in pages[q]
    assert "jurgen@demo.test" in pages["WEISS"] and "jurgen@demo.test" in pages["weiß"]


def test_deactivate_and_activate(demo: LiveServer) -> None:
    """A deactivated user cannot sign in and gets no reset e-mail; activated, both work again."""
    jane = user_id_of(demo, JANE)
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{jane}")
        done = admin.post(f"/admin/users/{jane}/deactivate", data={"csrf_token": csrf_token(page)})
        assert "User deactivated." in admin.get(done.headers["location"]).text
        with demo.client() as user:
            refused = post_form(user, "/", {"identifier": JANE, "password": "Demo-Jane-2026"})
        forgot(demo, JANE)
        details = admin.get(f"/admin/users/{jane}?tab=authentication")
        back = admin.post(f"/admin/users/{jane}/activate", data={"csrf_token": csrf_token(page)})
        assert "User activated." in admin.get(back.headers["location"]).text
    assert refused.status_code == 401
    assert reset_count(details.text) == 0
    assert "not available for inactive users" in details.text
    assert details.text.count("disabled") >= 2
    with demo.client() as user:
        signed_in = post_form(user, "/", {"identifier": JANE, "password": "Demo-Jane-2026"})
    assert signed_in.status_code == 303


def add_ops_and_helpdesk(live: LiveServer) -> str:
    """Two administrators: ops (Manage Tenant Configuration), whose ID is returned, and
    helpdesk (Manage Users)."""
    ops = add_user(
        live,
        "ops@demo.test",
        password="Ops-Pass-123",
        authorizations=frozenset({Authorization.MANAGE_TENANT_CONFIGURATION}),
    )
    add_user(
        live,
        "helpdesk@demo.test",
        password="Helpdesk-Pass-1",
        authorizations=frozenset({Authorization.MANAGE_USERS}),
    )
    return ops


def test_only_tenant_configuration_deactivates_or_activates_an_administrator(
    demo: LiveServer,
) -> None:
    """A Manage Users administrator can neither deactivate an administrator nor give one
    deactivated by Manage Tenant Configuration (an account taken over, say) the console back."""
    ops = add_ops_and_helpdesk(demo)
    owner = user_id_of(demo, "admin@demo.test")
    with demo.client() as admin, demo.client() as helpdesk:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{ops}")
        admin.post(f"/admin/users/{ops}/deactivate", data={"csrf_token": csrf_token(page)})
        sign_in(helpdesk, "helpdesk@demo.test", "Helpdesk-Pass-1")
        page = helpdesk.get(f"/admin/users/{ops}")
        activated = helpdesk.post(
            f"/admin/users/{ops}/activate", data={"csrf_token": csrf_token(page)}
        )
        deactivated = helpdesk.post(
            f"/admin/users/{owner}/deactivate", data={"csrf_token": csrf_token(page)}
        )
        with demo.client() as browser:
            signed_in = post_form(
                browser,
                "/admin/signin",
                {"identifier": "ops@demo.test", "password": "Ops-Pass-123"},
            )
    assert activated.status_code == 403
    assert (
        "Only an administrator with Manage Tenant Configuration can activate an administrator."
        in activated.text
    )
    assert deactivated.status_code == 403
    assert (
        "Only an administrator with Manage Tenant Configuration can deactivate an administrator."
        in deactivated.text
    )
    assert signed_in.status_code == 401  # still inactive


def test_only_tenant_configuration_unlocks_an_administrators_password(demo: LiveServer) -> None:
    """A Manage Users administrator cannot unlock a locked administrator's password (it could
    guess the password past the lock, five tries at a time); Manage Tenant Configuration can."""
    ops = add_ops_and_helpdesk(demo)
    guess = {"identifier": "ops@demo.test", "password": "Wrong-Pass-1"}
    with demo.client() as admin, demo.client() as helpdesk, demo.client() as browser:
        for _ in range(5):
            post_form(browser, "/admin/signin", guess)
        sign_in(helpdesk, "helpdesk@demo.test", "Helpdesk-Pass-1")
        page = helpdesk.get(f"/admin/users/{ops}?tab=authentication")
        refused = helpdesk.post(f"/admin/users/{ops}/unlock", data={"csrf_token": csrf_token(page)})
        assert refused.status_code == 403
        still_locked = post_form(
            browser, "/admin/signin", {"identifier": "ops@demo.test", "password": "Ops-Pass-123"}
        )
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{ops}?tab=authentication")
        unlocked = admin.post(f"/admin/users/{ops}/unlock", data={"csrf_token": csrf_token(page)})
        signed_in = post_form(
            browser, "/admin/signin", {"identifier": "ops@demo.test", "password": "Ops-Pass-123"}
        )
    assert (
        "Only an administrator with Manage Tenant Configuration can unlock an administrator&#39;s "
        "password." in refused.text
    )
    assert still_locked.status_code == 401
    assert unlocked.status_code == 303
    assert signed_in.status_code == 303


def lock_email_codes(live: LiveServer, user_id: str) -> None:
    """The lock that five wrong e-mail codes leave, for the next 60 minutes."""

    async def lock(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            session.add(
                EmailOtpCode(
                    tenant_id="demo",
                    user_id=user_id,
                    failed_attempts=5,
                    locked_until=utcnow() + timedelta(minutes=60),
                )
            )

    live.run(lock)


def test_only_tenant_configuration_unlocks_an_administrators_email_codes(
    demo: LiveServer,
) -> None:
    """Manage Users alone cannot end the e-mail code lock of an administrator, as it cannot end
    the password lock; Manage Tenant Configuration can."""
    ops = add_ops_and_helpdesk(demo)
    lock_email_codes(demo, ops)
    with demo.client() as admin, demo.client() as helpdesk:
        sign_in(helpdesk, "helpdesk@demo.test", "Helpdesk-Pass-1")
        page = helpdesk.get(f"/admin/users/{ops}?tab=authentication")
        refused = helpdesk.post(
            f"/admin/users/{ops}/unlock-email-code", data={"csrf_token": csrf_token(page)}
        )
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{ops}?tab=authentication")
        unlocked = admin.post(
            f"/admin/users/{ops}/unlock-email-code", data={"csrf_token": csrf_token(page)}
        )
        after = admin.get(f"/admin/users/{ops}?tab=authentication")
    assert refused.status_code == 403
    assert (
        "Only an administrator with Manage Tenant Configuration can unlock an administrator&#39;s "
        "e-mail codes." in refused.text
    )
    assert unlocked.status_code == 303
    assert "E-Mail Codes Locked Until" not in after.text
    assert "<td>E-mail code lock = Ended</td>" in after.text


def outbox_of(live: LiveServer, user_id: str) -> list[tuple[str, int, str | None, bool]]:
    async def work(runtime: Any) -> list[tuple[str, int, str | None, bool]]:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(
                    OutboxMessage.status,
                    OutboxMessage.attempts,
                    OutboxMessage.last_error,
                    OutboxMessage.context,
                ).where(OutboxMessage.user_id == user_id)
            )
            # Whether its body (with the link) is kept, as the last of the four.
            return [(s, attempts, error, body is not None) for s, attempts, error, body in rows]

    result: list[tuple[str, int, str | None, bool]] = live.run(work)
    return result


def test_deactivating_withdraws_the_users_queued_emails(demo: LiveServer) -> None:
    """A reset e-mail waiting for a retry when its user is deactivated is never sent (its link
    would not work): it fails, and Mail Delivery says why."""
    point_demo_at(demo, free_port())  # nothing answers: the e-mail waits for a retry
    jane = user_id_of(demo, JANE)
    forgot(demo, JANE)
    deadline = time.monotonic() + 15
    while outbox_of(demo, jane)[0][:2] != ("queued", 1) and time.monotonic() < deadline:
        time.sleep(0.1)  # tried once in vain: queued again for a retry
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{jane}")
        admin.post(f"/admin/users/{jane}/deactivate", data={"csrf_token": csrf_token(page)})
        delivery = admin.get("/admin/tenant-settings/mail-delivery").text
    reason = "The user was deactivated before the e-mail was sent."
    assert outbox_of(demo, jane) == [("failed", 1, reason, False)]  # its link erased too
    assert f'<td class="last-error" data-label="Last error">{reason}</td>' in delivery


def test_an_email_being_sent_when_its_user_is_deactivated_is_not_retried(
    demo: LiveServer, smtp_pki: Pki
) -> None:
    """A reset e-mail the worker is sending when its user is deactivated, refused for now
    (451), is withdrawn instead of queued again for a retry."""
    handler = ScriptedHandler({"DATA": ["451 4.3.0 Try again later"]}, stall=["DATA"])
    handler.stall_seconds = 2.0
    with SmtpServer(smtp_pki, security="ssl", handler=handler) as server:
        point_demo_at(demo, server.port)
        jane = user_id_of(demo, JANE)
        forgot(demo, JANE)
        deadline = time.monotonic() + 15
        while outbox_of(demo, jane)[0][0] != "sending" and time.monotonic() < deadline:
            time.sleep(0.05)
        with demo.client() as admin:
            sign_in(admin, "admin@demo.test")
            page = admin.get(f"/admin/users/{jane}")
            admin.post(f"/admin/users/{jane}/deactivate", data={"csrf_token": csrf_token(page)})
        while outbox_of(demo, jane)[0][0] == "sending" and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a retry would come at once if it were queued with no delay
        reason = "The user was deactivated before the e-mail was sent."
        assert outbox_of(demo, jane) == [("failed", 1, reason, False)]
        assert handler.commands.count("DATA") == 1


def test_send_reset_email_is_logged_as_the_page_names_it(demo: LiveServer) -> None:
    """Send Reset Password Email, sent and then refused at the limit, in the change log."""
    jane = user_id_of(demo, JANE)
    for _ in range(2):
        forgot(demo, JANE)
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{jane}?tab=authentication")
        for _ in range(2):  # the third e-mail of the day, then one over the limit
            admin.post(
                f"/admin/users/{jane}/send-reset-email", data={"csrf_token": csrf_token(page)}
            )
        after = admin.get(f"/admin/users/{jane}?tab=authentication")
    assert "<td>Reset Password e-mail = Queued</td>" in after.text
    assert "<td>Reset Password e-mail = Not sent: limit reached</td>" in after.text
    assert "reset_password_email" not in after.text


def test_an_invitation_is_logged_as_the_page_names_it(demo: LiveServer) -> None:
    """The change log of an invited user names the invitation in words (it showed the stored
    key and a Python value: ``invited = True``)."""
    auth = api_client(demo, Authorization.MANAGE_USERS)
    with demo.client(auth=auth) as api:
        invited = api.post("/admin/api/v1/invitations", json={"email": "guest@demo.test"})
    assert invited.status_code == 201, invited.text
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{invited.json()['user_id']}")
    entry = "<td>E-Mail = guest@demo.test, Status = New, Invitation e-mail = Queued</td>"
    assert entry in page.text
    assert "invited" not in page.text and "True" not in page.text


def test_the_reset_password_email_asks_for_a_new_password_it_does_not_end_the_old(
    demo: LiveServer,
) -> None:
    """Send Reset Password Email sends a link; the current password keeps working until a new
    one is set, and the e-mail says only what is true (it claimed the password was reset and
    the user could not sign in)."""
    jane = user_id_of(demo, JANE)
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{jane}?tab=authentication")
        admin.post(f"/admin/users/{jane}/send-reset-email", data={"csrf_token": csrf_token(page)})
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    assert "Your administrator asks you to set a new password. Open this link to choose one:" in (
        mail.text
    )
    assert "reset your password" not in mail.text and "cannot sign in" not in mail.text
    with demo.client() as browser:
        signed_in = post_form(browser, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
    assert signed_in.status_code == 303


def test_admin_cannot_deactivate_themself(demo: LiveServer) -> None:
    """Deactivating one's own user is refused with a reason (409)."""
    me = user_id_of(demo, "admin@demo.test")
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{me}")
        refused = admin.post(f"/admin/users/{me}/deactivate", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 409
    assert "You cannot deactivate your own user." in refused.text


def test_password_details_count_and_reset_counter(demo: LiveServer) -> None:
    """3 next to Password Reset with their times; Reset Counter -> 0, with a change log entry."""
    jane = user_id_of(demo, JANE)
    for _ in range(4):
        forgot(demo, JANE)
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        before = admin.get(f"/admin/users/{jane}?tab=authentication")
        reset = admin.post(
            f"/admin/users/{jane}/reset-counter", data={"csrf_token": csrf_token(before)}
        )
        after = admin.get(reset.headers["location"])
    assert reset_count(before.text) == 3
    assert "Limit reached" in before.text
    assert "Refused at the limit: 1 in the last 24 hours" in before.text
    assert reset_count(after.text) == 0
    assert "Counter reset: the count of e-mails is 0." in after.text
    assert "<td>admin@demo.test</td>" in after.text
    # Named as the page names them; the API keeps the stored keys.
    assert "<td>Password Reset e-mails = 0, before = 3</td>" in after.text
    assert "password_reset_count" not in after.text
    assert "<td>Changed</td>" in after.text and "<td>update</td>" not in after.text
    assert "admin:admin@demo.test" not in after.text  # who made the change, as people read it


COUNTED_RE = re.compile(
    r"<li>(Forgot Password), \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC:\s*"
    r'<span class="status status-(\w+)">(\w+)</span>\s*(?:<a href="([^"]+)")?'
)


def counted_emails(page_text: str) -> list[tuple[str, ...]]:
    return [match.groups() for match in COUNTED_RE.finditer(page_text)]


def test_password_details_say_where_each_counted_email_stands(
    reader: str, demo: LiveServer
) -> None:
    """Each counted e-mail with its delivery's status (it said "Sent" for each, also for one
    waiting for a retry or failed), and, for an administrator who sees Mail Delivery, a link
    to its timeline there."""
    jane = user_id_of(demo, JANE)
    for _ in range(3):
        forgot(demo, JANE)

    async def settle(runtime: Any) -> list[str]:
        """Once the worker has sent all three: the first failed, the second to be retried in
        an hour."""
        while True:
            async with runtime.sessions.begin() as session:
                messages = (
                    await session.scalars(
                        select(OutboxMessage)
                        .join(LimitedEmail, LimitedEmail.message_id == OutboxMessage.id)
                        .order_by(LimitedEmail.at)  # as the page lists them
                    )
                ).all()
                if [m.status for m in messages] == ["sent"] * 3:
                    messages[0].status = "failed"
                    messages[1].status = "queued"
                    messages[1].next_attempt_at = utcnow() + timedelta(hours=1)
                    return [m.id for m in messages]
            await asyncio.sleep(0.05)

    ids = demo.run(lambda runtime: asyncio.wait_for(settle(runtime), 15))
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{jane}?tab=authentication").text
    links = [f"/admin/tenant-settings/mail-delivery/{message_id}" for message_id in ids]
    assert counted_emails(page) == [
        ("Forgot Password", "failed", "Failed", links[0]),
        ("Forgot Password", "queued", "Retrying", links[1]),
        ("Forgot Password", "sent", "Sent", links[2]),
    ]
    with demo.client() as client:  # Read Users only: no Mail Delivery to link to
        sign_in(client, reader, READER_PASSWORD)
        page = client.get(f"/admin/users/{jane}?tab=authentication").text
    assert [match[:3] for match in counted_emails(page)] == [
        ("Forgot Password", "failed", "Failed"),
        ("Forgot Password", "queued", "Retrying"),
        ("Forgot Password", "sent", "Sent"),
    ]
    assert "/admin/tenant-settings/mail-delivery/" not in page
    client_id, secret = api_client(demo, Authorization.READ_USERS)
    with demo.client(auth=(client_id, secret)) as api:
        details = api.get(f"/admin/api/v1/users/{jane}/password-details").json()
    emails = details["password_reset"]["emails"]
    assert [(e["process"], e["message_id"], e["status"]) for e in emails] == [
        ("forgot-password", ids[0], "failed"),
        ("forgot-password", ids[1], "queued"),
        ("forgot-password", ids[2], "sent"),
    ]
    assert [e["at"] for e in emails] == details["password_reset"]["sent_at"]


def test_the_home_tile_promises_a_reader_no_changes(reader: str, demo: LiveServer) -> None:
    """User Management's tile says what a Read Users administrator can do there; one who
    manages users reads what they can change."""
    with demo.client() as client:
        sign_in(client, reader, READER_PASSWORD)
        read_only = client.get("/admin").text
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        managing = client.get("/admin").text
    seeing = "Find users and see their details, password details and e-mail limit."
    changing = "Find, create, deactivate and activate users; password details and e-mail limit."
    assert seeing in read_only and changing not in read_only
    assert changing in managing and seeing not in managing


def test_read_users_sees_but_cannot_change(reader: str, demo: LiveServer) -> None:
    """Read Users opens the list and details with disabled buttons; every change is 403."""
    jane = user_id_of(demo, JANE)
    with demo.client() as client:
        sign_in(client, reader, READER_PASSWORD)
        listing = client.get("/admin/users")
        details = client.get(f"/admin/users/{jane}?tab=authentication")
        token = csrf_token(details)
        posts = [
            client.post(f"/admin/users/{jane}/{action}", data={"csrf_token": token})
            for action in ("reset-counter", "send-reset-email", "deactivate", "unlock")
        ]
        newcomer = add_user(demo, "newcomer@demo.test", password=None)
        newcomer_page = client.get(f"/admin/users/{newcomer}")
        again = f"/admin/users/{newcomer}/send-activation-email"
        posts.append(client.post(again, data={"csrf_token": token}))
        create = client.get("/admin/users/new")
        admins = client.get("/admin/administrators")
    assert listing.status_code == 200 and "Create User" not in listing.text
    assert details.status_code == 200 and 'disabled title="Needs Manage Users"' in details.text
    assert [p.status_code for p in posts] == [403, 403, 403, 403, 403]
    assert (
        'disabled title="Needs Manage Users">Send Activation E-Mail Again</button>'
        in newcomer_page.text
    )
    assert (
        '<p class="muted">Sending the activation e-mail again needs the Manage Users '
        "authorization.</p>" in newcomer_page.text
    )
    assert create.status_code == 403 and admins.status_code == 403


def test_a_disabled_button_says_why_on_the_page(reader: str, demo: LiveServer) -> None:
    """Why the buttons are off is written under them, not only in the disabled buttons' titles
    (shown on hover, never to keyboard or touch users): Read Users lacks Manage Users, and
    nobody deactivates their own user."""
    jane = user_id_of(demo, JANE)
    me = user_id_of(demo, "admin@demo.test")
    with demo.client() as client:
        sign_in(client, reader, READER_PASSWORD)
        details = client.get(f"/admin/users/{jane}")
        authentication = client.get(f"/admin/users/{jane}?tab=authentication")
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        own = client.get(f"/admin/users/{me}")
        other = client.get(f"/admin/users/{jane}?tab=authentication")
    assert (
        '<p class="muted">Activating and deactivating users needs the Manage Users '
        "authorization.</p>" in details.text
    )
    assert (
        '<p class="muted">Reset Counter and Send Reset Password Email need the Manage Users '
        "authorization.</p>" in authentication.text
    )
    assert '<p class="muted">You cannot deactivate your own user.</p>' in own.text
    assert "authorization.</p>" not in other.text


def test_forms_need_their_csrf_token(demo: LiveServer) -> None:
    """Reset Counter without the CSRF token is refused and changes nothing."""
    jane = user_id_of(demo, JANE)
    forgot(demo, JANE)
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        refused = admin.post(f"/admin/users/{jane}/reset-counter", data={})
        page = admin.get(f"/admin/users/{jane}?tab=authentication")
    assert refused.status_code == 403
    assert reset_count(page.text) == 1


def test_users_of_another_tenant_are_404(demo: LiveServer) -> None:
    """The demo admin cannot open or change a user of another tenant by ID."""

    async def seed(runtime: object) -> str:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            new = await onboard_tenant(
                session,
                settings=demo.settings,
                display_name="Other",
                admin_email="o@other.test",
                tenant_id="other",
                admin_password="Other-Admin-1",
            )
            return new.admin.id

    foreign = demo.run(seed)
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{foreign}")
        token = csrf_token(admin.get("/admin/users"))
        change = admin.post(f"/admin/users/{foreign}/deactivate", data={"csrf_token": token})
    assert page.status_code == change.status_code == 404
    assert "There is no such user in this tenant." in page.text


def test_a_refusal_after_a_redirect_is_announced_as_an_alert(demo: LiveServer) -> None:
    """The message shown after a redirect: a refusal (the user at the e-mail limit) is an
    alert, which screen readers announce at once; a success is a polite status."""
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        refused = admin.get("/admin/users?msg=reset-email-at-limit")
        sent = admin.get("/admin/users?msg=reset-email-sent")
    assert '<div class="alert alert-error" role="alert">No e-mail was sent: ' in refused.text
    assert '<div class="alert alert-success" role="status">The Reset Password e-mail' in sent.text


LAST_ACTIVATION_RE = re.compile(
    r'<p id="last-activation-email">Last activation e-mail: ([^,]+), [^:]+:\d\d:\d\d UTC:\s*'
    r'<span class="status status-(\w+)">(\w+)</span>'
)


def wait_for_outbox(live: LiveServer, user_id: str, wanted: list[str]) -> None:
    deadline = time.monotonic() + 15
    while [row[0] for row in outbox_of(live, user_id)] != wanted:
        assert time.monotonic() < deadline, outbox_of(live, user_id)
        time.sleep(0.05)


def test_an_activation_email_that_failed_is_sent_again_once_the_server_is_fixed(
    demo: LiveServer, smtp_pki: Pki
) -> None:
    """A user created while the custom server refused every recipient has a failed activation
    e-mail: their page says so; once the configuration is removed, Send Activation E-Mail
    Again brings a new link through the default server, which activates the account."""
    refusing = ScriptedHandler({"RCPT": "550 5.7.1 Relaying denied"})
    with demo.client() as admin, SmtpServer(smtp_pki, security="ssl", handler=refusing) as server:
        point_demo_at(demo, server.port)
        sign_in(admin, "admin@demo.test")
        created = post_form(admin, "/admin/users/new", {"email": "late@demo.test"})
        late = created.headers["location"].split("/")[-1].split("?")[0]
        wait_for_outbox(demo, late, ["failed"])
        failed = admin.get(f"/admin/users/{late}").text
        settings = admin.get("/admin/tenant-settings/mail-server")
        removed = admin.post(
            "/admin/tenant-settings/mail-server/remove",
            data={"csrf_token": csrf_token(settings)},
        )
        assert removed.status_code == 303
        again = press(admin, f"/admin/users/{late}", f"/admin/users/{late}/send-activation-email")
        assert again.headers["location"] == f"/admin/users/{late}?msg=activation-email-sent"
        [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["late@demo.test"])
        wait_for_outbox(demo, late, ["failed", "sent"])
        sent = admin.get(again.headers["location"]).text
    assert LAST_ACTIVATION_RE.findall(failed) == [("On-Behalf Registration", "failed", "Failed")]
    assert "Send Activation E-Mail Again</button>" in failed
    assert "The activation e-mail is on its way again, with a new link." in sent
    assert LAST_ACTIVATION_RE.findall(sent) == [("On-Behalf Registration", "sent", "Sent")]
    assert "<td>Activation e-mail = Queued again</td>" in sent
    assert refusing.commands.count("RCPT") == 1  # the second e-mail: the default server's
    with demo.client() as user:
        link = path_of(link_in(mail.text))
        form = user.get(link)
        token = link.split("token=")[1]
        activated = user.post(
            "/activate",
            data={
                "csrf_token": csrf_token(form),
                "token": token,
                "password": "Late-Pass-123",
                "password_confirm": "Late-Pass-123",
            },
        )
    assert activated.status_code == 303, activated.text
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get(f"/admin/users/{late}").text
    assert 'id="activation"' not in page and "Send Activation E-Mail Again" not in page


def test_the_api_sends_the_activation_email_again_to_a_new_user_only(demo: LiveServer) -> None:
    """202 with the e-mail's ID (in Mail Delivery's messages) for a user without a password;
    409 for an active or inactive one; 403 for Read Users; 404 for another tenant's user."""
    newcomer = add_user(demo, "newcomer@demo.test", password=None)
    asleep = add_user(demo, "asleep@demo.test", password=None, status="inactive")
    demo.run(lambda runtime: onboard(runtime, "other"))
    stranger = add_user(demo, "stranger@other.test", password=None, tenant_id="other")
    jane = user_id_of(demo, JANE)
    path = "/admin/api/v1/users/{}/send-activation-email"
    both = (Authorization.MANAGE_USERS, Authorization.MANAGE_TENANT_CONFIGURATION)
    with demo.client(auth=api_client(demo, *both)) as api:
        sent = api.post(path.format(newcomer))
        active, inactive = api.post(path.format(jane)), api.post(path.format(asleep))
        elsewhere = api.post(path.format(stranger))
        message = api.get(f"/admin/api/v1/messages/{sent.json()['message_id']}")
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as reader_api:
        refused = reader_api.post(path.format(newcomer))
    assert sent.status_code == 202, sent.text
    assert sent.json()["message"] == "The activation e-mail is queued, with a new link."
    assert message.json()["process"] == "on-behalf-registration"
    assert message.json()["recipient"] == "newcomer@demo.test"
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["newcomer@demo.test"])
    assert "/activate?token=" in link_in(mail.text)
    already = "The user has already set a password: send a Reset Password e-mail instead."
    assert (active.status_code, active.json()) == (409, {"detail": already})
    inactive_detail = {"detail": "The user is inactive. Activate the user first."}
    assert (inactive.status_code, inactive.json()) == (409, inactive_detail)
    assert elsewhere.status_code == 404 and refused.status_code == 403
    assert [row[0] for row in outbox_of(demo, asleep)] == []
