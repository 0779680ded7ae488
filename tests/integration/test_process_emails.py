"""Every e-mail process, end to end: the request changes state and queues the e-mail, the worker
renders it from the right template set and language, and it arrives at the dev mail server's
real TLS SMTP listener with working links. User-initiated e-mails speak the browser's
language, system-initiated ones the user's profile language."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.mail.models import OutboxMessage
from gatehouse.processes import user_admin
from gatehouse.processes.demo import DEMO_USER_PASSWORD
from gatehouse.processes.self_registration import REGISTRATION_ANSWER
from gatehouse.processes.settings import save_settings
from gatehouse.tenants.service import get_tenant
from tests.integration.test_password_links import expire_links, set_new_password
from tests.support.accounts import add_user, api_client, sign_in, user_id_of
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, link_in, path_of, post_form

SETS = "/admin/api/v1/template-sets"
APPS = "/admin/api/v1/applications"
JANE = "jane@demo.test"


@pytest.fixture
def api(demo: LiveServer) -> httpx.Client:
    auth = api_client(
        demo,
        Authorization.MANAGE_TENANT_CONFIGURATION,
        Authorization.MANAGE_APPLICATIONS,
        Authorization.MANAGE_USERS,
    )
    with demo.client(auth=auth) as client:
        yield client


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def travel_app(api: httpx.Client, **change: Any) -> dict[str, Any]:
    """An application "Travel" with its own template set (a copy of Default)."""
    app = api.post(APPS, json={"name": "Travel", "home_url": "https://travel.example/home"})
    set_id = api.post(SETS, json={"name": "Travel set"}).json()["id"]
    changed = api.put(f"{APPS}/{app.json()['id']}", json={"template_set_id": set_id, **change})
    assert changed.status_code == 200, changed.text
    return {**changed.json(), "set_id": set_id}


def write_template(
    api: httpx.Client, set_id: str, slug: str, language: str, subject: str, link: str
) -> None:
    """A short custom template whose subject and body mark where the e-mail came from."""
    body = {
        "subject": subject,
        "text": f"${{user.firstName}} @ ${{user.sp_name}}: ${{{link}}}",
        "html": f'<a href="${{{link}}}">${{user.sp_name}}</a>',
    }
    put = api.put(f"{SETS}/{set_id}/templates/{slug}/{language}", json=body)
    assert put.status_code == 200, put.text


def set_language(live: LiveServer, email: str, language: str) -> None:
    async def change(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await session.execute(update(User).where(User.email == email).values(language=language))

    live.run(change)


def switch_on(live: LiveServer, **switches: bool) -> None:
    async def save(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await save_settings(session, tenant_id="demo", actor="test", **switches)

    live.run(save)


def mails_to(live: LiveServer, address: str) -> list[Any]:
    return [m for m in live.devmail.mailbox.messages() if m.rcpt_to == [address]]


def activate(live: LiveServer, link: str, password: str = "Fresh-Start-42") -> httpx.Response:
    with live.client() as client:
        form = client.get(path_of(link))
        assert form.status_code == 200 and "Activate your account" in form.text
        return client.post(
            "/activate",
            data={
                "token": link.split("token=")[1],
                "password": password,
                "password_confirm": password,
                "csrf_token": csrf_token(form),
            },
        )


def test_self_registration_from_an_application_uses_its_set_and_browser_language(
    demo: LiveServer, api: httpx.Client
) -> None:
    """Register on Travel's logon page in Spanish: Travel's Spanish template, a working link."""
    app = travel_app(api)
    write_template(
        api, app["set_id"], "self-registration", "es", "Bienvenido", "user.activate_account_link"
    )
    switch_on(demo, self_registration=True)
    with demo.client(headers={"accept-language": "es-ES,es;q=0.9,en;q=0.5"}) as browser:
        logon = browser.get(f"/?app={app['id']}")
        assert f'href="/register?app={app["id"]}"' in logon.text
        answer = post_form(
            browser,
            f"/register?app={app['id']}",
            {
                "email": "lucia@demo.test",
                "first_name": "Lucía",
                "last_name": "García",
                "app": app["id"],
            },
        )
        assert (answer.status_code, answer.headers["location"]) == (
            303,
            f"/register/sent?app={app['id']}",
        )
        assert REGISTRATION_ANSWER in browser.get(answer.headers["location"]).text
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["lucia@demo.test"])
    link = link_in(mail.text)
    assert mail.subject == "Bienvenido"
    assert lf(mail.text).strip() == f"Lucía @ Travel: {link}"
    # Back to Travel's logon page, which signs in to Travel (it was the tenant's own page).
    assert activate(demo, link).headers["location"] == f"/?app={app['id']}&msg=account-activated"
    with demo.client() as browser:  # the logon page says the account is active now
        logon = browser.get(f"/?app={app['id']}&msg=account-activated")
    assert "Your account is active. You can sign in now." in logon.text
    with demo.client() as console:  # the activation is in the user's change log
        sign_in(console, "admin@demo.test")
        page = console.get(f"/admin/users/{user_id_of(demo, 'lucia@demo.test')}").text
    assert (
        "<td>lucia@demo.test (the user)</td><td>Changed</td>\n"
        "      <td>Password = set with the activation link, Status = Active</td>"
    ) in page.split("Change log")[1]


def test_self_registration_is_closed_by_default_and_reveals_no_account(
    demo: LiveServer,
) -> None:
    """Off: no Register link and 404. On: an existing address gets the same answer, no mail."""
    with demo.client() as browser:
        assert "Register" not in browser.get("/").text
        assert browser.get("/register").status_code == 404
    switch_on(demo, self_registration=True)
    with demo.client() as browser:
        answer = post_form(
            browser, "/register", {"email": JANE, "first_name": "Jane", "last_name": "Doe"}
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/register/sent")
        assert REGISTRATION_ANSWER in browser.get("/register/sent").text
    time.sleep(0.5)
    assert demo.devmail.mailbox.messages() == []


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"email": "", "first_name": "", "last_name": ""}, "email", "Enter an e-mail address."),
        (
            {"email": "otto", "first_name": "Otto", "last_name": "N"},
            "email",
            "Not a valid e-mail address: An e-mail address must have an @-sign.",
        ),
        (
            {"email": "otto@demo.test", "first_name": " ", "last_name": "N"},
            "first_name",
            "Enter your first and last name (at most 64 characters each).",
        ),
        (
            {"email": "otto@demo.test", "first_name": "Otto", "last_name": "N" * 65},
            "last_name",
            "Enter your first and last name (at most 64 characters each).",
        ),
    ],
)
def test_a_refused_registration_marks_the_first_field_to_correct(
    demo: LiveServer, form: dict[str, str], field: str, message: str
) -> None:
    """In the form's order: the error is about the first field to correct, which is marked
    for assistive technology too; what was typed stays; nothing is created."""
    switch_on(demo, self_registration=True)
    with demo.client() as browser:
        refused = post_form(browser, "/register", form)
    assert refused.status_code == 400
    assert f'id="page-error">{message}</div>' in refused.text
    marked = re.findall(r'<input id="(\w+)" name="\w+" aria-invalid="true"', refused.text)
    assert marked == [field]
    assert f'value="{form["email"]}"' in refused.text
    assert demo.devmail.mailbox.messages() == []


def test_default_self_registration_in_browser_language(demo: LiveServer) -> None:
    """Without an application: User Profile's (Default) set, in the browser's German."""
    switch_on(demo, self_registration=True)
    with demo.client(headers={"accept-language": "de-DE,de;q=0.9"}) as browser:
        post_form(
            browser,
            "/register",
            {"email": "otto@demo.test", "first_name": "Otto", "last_name": "N"},
        )
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["otto@demo.test"])
    assert mail.subject == "Schließen Sie Ihre Registrierung bei Demo Tenant ab"
    assert lf(mail.text).startswith("Hallo Otto,\n\nVielen Dank für Ihre Registrierung")
    assert link_in(mail.text) in mail.html


@pytest.mark.parametrize(
    ("name_field", "name"),
    [("first_name", "Otto\n\nYou won a prize: call +1 555"), ("last_name", "N\u202eevil")],
)
def test_a_name_with_a_line_break_or_a_direction_override_is_refused(
    demo: LiveServer, name_field: str, name: str
) -> None:
    """A name goes into the e-mail to the address typed, anyone's: line breaks (a paragraph of
    one's own words in that mail) and bidirectional overrides are refused naming the field, and
    nothing is created or sent."""
    switch_on(demo, self_registration=True)
    form = {"email": "otto@demo.test", "first_name": "Otto", "last_name": "N", name_field: name}
    with demo.client() as browser:
        refused = post_form(browser, "/register", form)
    label = name_field.replace("_", " ")
    assert refused.status_code == 400
    assert f"The {label} must not contain line breaks or other control characters." in refused.text
    time.sleep(0.5)
    assert mails_to(demo, "otto@demo.test") == []


def test_registering_again_before_activating_sends_the_email_again(demo: LiveServer) -> None:
    """A lost Self-Registration e-mail: registering again sends it again (it sent nothing while
    saying it had), three times in 24 hours at most; the page answers the same each time, and
    the newest link activates the account. An activated account gets nothing."""
    switch_on(demo, self_registration=True)
    form = {"email": "otto@demo.test", "first_name": "Otto", "last_name": "N"}
    with demo.client() as browser:
        answers = [post_form(browser, "/register", form) for _ in range(4)]
    assert all(a.headers["location"] == "/register/sent" for a in answers)
    mails = demo.wait_for_mail(lambda m: m.rcpt_to == ["otto@demo.test"], count=3)
    time.sleep(0.5)
    assert len(mails_to(demo, "otto@demo.test")) == 3  # the fourth: over the day's three
    assert activate(demo, link_in(mails[-1].text)).status_code == 303
    with demo.client() as browser:
        post_form(browser, "/register", {**form, "email": "jane@demo.test"})
    time.sleep(0.5)
    assert mails_to(demo, "jane@demo.test") == []  # an account in use: nothing


def test_invitation_by_rest_in_the_invitees_language_with_inviter(
    demo: LiveServer, api: httpx.Client
) -> None:
    """POST /invitations: Italian Default template, Travel as the application, inviter's name."""
    app = travel_app(api)
    invited = api.post(
        "/admin/api/v1/invitations",
        json={
            "email": "giulia@demo.test",
            "first_name": "Giulia",
            "language": "it",
            "application_id": app["id"],
            "inviter_name": "Ada Admin",
        },
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["status"] == "new"
    again = api.post("/admin/api/v1/invitations", json={"email": "giulia@demo.test"})
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "A user with the e-mail giulia@demo.test already exists."},
    )
    no_app = api.post(
        "/admin/api/v1/invitations", json={"email": "luca@demo.test", "application_id": "nope"}
    )
    assert (no_app.status_code, no_app.json()) == (
        422,
        {"detail": {"field": "application_id", "message": "There is no application with this ID."}},
    )
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["giulia@demo.test"])
    assert mail.subject == "Ada Admin la invita a Travel"
    assert lf(mail.text).startswith("Gentile Giulia,\n\nAda Admin la invita a Travel.")
    assert activate(demo, link_in(mail.text)).status_code == 303


def test_activation_sent_again_keeps_the_first_links_process_and_application(
    demo: LiveServer, api: httpx.Client
) -> None:
    """Send Activation E-Mail Again to a user invited to Travel: the Invitation again, in
    Travel's name and the invitee's language, from the tenant's name (the first inviter's is
    not kept), whose link leads back to Travel's logon page. A user registered on Travel's
    page gets the On-Behalf Registration e-mail in Travel's name: an administrator sent it."""
    app = travel_app(api)
    invited = api.post(
        "/admin/api/v1/invitations",
        json={
            "email": "giulia@demo.test",
            "first_name": "Giulia",
            "language": "it",
            "application_id": app["id"],
            "inviter_name": "Ada Admin",
        },
    )
    user_id = invited.json()["user_id"]
    demo.wait_for_mail(lambda m: m.rcpt_to == ["giulia@demo.test"])
    again = api.post(f"/admin/api/v1/users/{user_id}/send-activation-email")
    assert again.status_code == 202, again.text
    [_, mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["giulia@demo.test"], count=2)
    assert mail.subject == "Demo Tenant la invita a Travel"
    assert activate(demo, link_in(mail.text)).headers["location"] == (
        f"/?app={app['id']}&msg=account-activated"
    )
    switch_on(demo, self_registration=True)
    with demo.client() as browser:
        form = {"email": "lucia@demo.test", "first_name": "Lucía", "last_name": "García"}
        post_form(browser, f"/register?app={app['id']}", {**form, "app": app["id"]})
    demo.wait_for_mail(lambda m: m.rcpt_to == ["lucia@demo.test"])
    lucia = user_id_of(demo, "lucia@demo.test")
    assert api.post(f"/admin/api/v1/users/{lucia}/send-activation-email").status_code == 202
    [_, mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["lucia@demo.test"], count=2)
    assert mail.subject == "Activate your account for Travel"
    assert activate(demo, link_in(mail.text)).headers["location"] == (
        f"/?app={app['id']}&msg=account-activated"
    )


def test_a_password_locked_on_an_applications_page_is_mailed_for_that_application(
    demo: LiveServer, api: httpx.Client
) -> None:
    """Five wrong passwords on Travel's logon page: the Locked Password e-mail is Travel's (its
    set and name), and its link leads back to Travel's logon page; it was the tenant's own."""
    app = travel_app(api)
    write_template(
        api,
        app["set_id"],
        "locked-password",
        "en",
        "Travel locked",
        "user.set_locked_password_link",
    )
    with demo.client() as browser:
        for _ in range(5):
            post_form(
                browser,
                f"/?app={app['id']}",
                {"identifier": JANE, "password": "Wrong-Pass-1", "app": app["id"]},
            )
        [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
        path = path_of(link_in(mail.text))
        done = set_new_password(browser, path, browser.get(path), "Travel-Again-2026")
    assert mail.subject == "Travel locked"
    assert lf(mail.text).startswith("Jane @ Travel: http://demo.localhost:")
    assert done.headers["location"] == f"/?app={app['id']}&msg=password-set"


def test_forgot_password_from_an_application_page(demo: LiveServer, api: httpx.Client) -> None:
    """Forgot password? on Travel's logon page: Travel's set, Portuguese from the browser."""
    app = travel_app(api)
    write_template(
        api, app["set_id"], "forgot-password", "pt", "Nova senha", "user.reset_password_link"
    )
    with demo.client(headers={"accept-language": "pt-BR,pt;q=0.8"}) as browser:
        page = browser.get(f"/?app={app['id']}")
        assert f'href="/forgot-password?app={app["id"]}"' in page.text
        asked = post_form(
            browser, f"/forgot-password?app={app['id']}", {"identifier": JANE, "app": app["id"]}
        )
        answer = browser.get(asked.headers["location"])
    assert asked.headers["location"] == f"/forgot-password/sent?app={app['id']}"
    assert f'<a href="/?app={app["id"]}">Back to sign in</a>' in answer.text
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    assert mail.subject == "Nova senha"
    assert lf(mail.text).startswith("Jane @ Travel: http://demo.localhost:")
    with demo.client() as browser:
        assert "Set a new password" in browser.get(path_of(link_in(mail.text))).text
    # Expired, the link renews itself for Travel as it was sent (the renewal lost the
    # application: the tenant's own set and name), in the language of the browser using it.
    expire_links(demo)
    with demo.client(headers={"accept-language": "pt-BR,pt;q=0.8"}) as browser:
        renewing = browser.get(path_of(link_in(mail.text)))
        [_, renewed] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=2)
        assert renewed.subject == "Nova senha"
        path = path_of(link_in(renewed.text))
        form = browser.get(path)
        done = set_new_password(browser, path, form, "Travel-Again-2026")
    # Set, the password leads back to Travel's logon page, which signs in to Travel.
    assert done.headers["location"] == f"/?app={app['id']}&msg=password-set"
    # The pages about the link lead back to Travel too: its logon page, and a new link for it.
    with demo.client() as browser:
        used = browser.get(path)
    assert f'<a href="/?app={app["id"]}">Back to sign in</a>' in renewing.text
    assert used.status_code == 400 and "This link has already been used." in used.text
    assert "<h1>Link not valid</h1>" in used.text and "<h1>Forgot password</h1>" in answer.text
    assert f'href="/forgot-password?app={app["id"]}">Request a new link' in used.text
    assert f'<a href="/?app={app["id"]}">Back to sign in</a>' in used.text


def test_on_behalf_registration_in_profile_language(demo: LiveServer, api: httpx.Client) -> None:
    """An administrator creates a French user: User Profile's set, in French, working link."""
    set_id = api.post(SETS, json={"name": "Corporate"}).json()["id"]
    api.put(f"{APPS}/user-profile", json={"template_set_id": set_id})
    write_template(
        api, set_id, "on-behalf-registration", "fr", "Bienvenue", "user.activate_account_link"
    )

    async def create(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await user_admin.create_user_on_behalf(
                session,
                tenant=await get_tenant(session, "demo"),
                actor="test",
                origin=demo.origin(),
                email="amelie@demo.test",
                first_name="Amélie",
                language="fr",
                limit=0,
            )
        runtime.wake_worker()

    demo.run(create)
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["amelie@demo.test"])
    assert mail.subject == "Bienvenue"
    assert lf(mail.text).strip() == f"Amélie @ Demo Tenant: {link_in(mail.text)}"
    assert activate(demo, link_in(mail.text)).status_code == 303


def test_locked_password_in_profile_language(demo: LiveServer) -> None:
    """Five wrong passwords lock Jane's password; the Locked Password e-mail is German."""
    set_language(demo, JANE, "de")
    with demo.client(headers={"accept-language": "en"}) as browser:
        for _ in range(5):
            post_form(browser, "/", {"identifier": JANE, "password": "Wrong-Password-1"})
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    assert mail.subject == "Ihr Passwort für Demo Tenant ist gesperrt"
    assert "Neues Passwort festlegen" in mail.html
    with demo.client() as browser:
        assert "Set a new password" in browser.get(path_of(link_in(mail.text))).text


def test_reset_password_forced_by_an_administrator(demo: LiveServer) -> None:
    """Send Reset Password Email: the Reset Password template in Jane's Japanese."""
    set_language(demo, JANE, "ja")

    async def force(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            jane = await session.scalar(select(User).where(User.email == JANE))
            assert jane is not None
            await user_admin.send_reset_email(
                session,
                tenant=await get_tenant(session, "demo"),
                user=jane,
                actor="test",
                origin=demo.origin(),
            )
        runtime.wake_worker()

    demo.run(force)
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    assert mail.subject == "Demo Tenant の新しいパスワードを設定してください"
    assert lf(mail.text).startswith(
        "Doe Jane 様\n\n管理者から新しいパスワードの設定を求められています。"
    )
    assert link_in(mail.text) in mail.html


def sign_in_jane(browser: httpx.Client) -> httpx.Response:
    response = post_form(browser, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD})
    assert response.status_code == 303, response.text
    return browser.get("/profile")


def test_password_changed_alert_only_when_switched_on(demo: LiveServer) -> None:
    """Off by default: nothing. On: the alert in Jane's profile language (French)."""
    set_language(demo, JANE, "fr")
    with demo.client(headers={"accept-language": "en"}) as browser:
        profile = sign_in_jane(browser)
        fields = {"current_password": DEMO_USER_PASSWORD, "csrf_token": csrf_token(profile)}
        changed = browser.post(
            "/profile/password",
            data={**fields, "password": "Second-Pass-22", "password_confirm": "Second-Pass-22"},
        )
        assert changed.headers["location"] == "/profile?msg=password-changed"
        time.sleep(0.5)
        assert demo.devmail.mailbox.messages() == []
        switch_on(demo, alert_password_changed=True)
        # The change started a new session, with a new CSRF token: the page shows it.
        fields = {
            "current_password": "Second-Pass-22",
            "csrf_token": csrf_token(browser.get("/profile")),
        }
        browser.post(
            "/profile/password",
            data={**fields, "password": "Third-Pass-333", "password_confirm": "Third-Pass-333"},
        )
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    assert mail.subject == "Alerte de sécurité concernant votre compte Demo Tenant"
    assert re.search(
        r"Le mot de passe de votre compte a été modifié le \d{4}-\d\d-\d\d \d\d:\d\d UTC\.",
        mail.text,
    )
    assert "Le mot de passe de votre compte a été modifié le" in mail.html


def test_email_changed_alert_goes_to_the_old_address(demo: LiveServer) -> None:
    """Changing the address on the profile page alerts the old one, naming both."""
    switch_on(demo, alert_email_changed=True)
    with demo.client() as browser:
        profile = sign_in_jane(browser)
        wrong = browser.post(
            "/profile/email",
            data={
                "email": "jane.new@demo.test",
                "email_password": "nope",
                "csrf_token": csrf_token(profile),
            },
        )
        assert wrong.status_code == 400 and "The current password is not correct." in wrong.text
        done = browser.post(
            "/profile/email",
            data={
                "email": "jane.new@demo.test",
                "email_password": DEMO_USER_PASSWORD,
                "csrf_token": csrf_token(profile),
            },
        )
        assert done.headers["location"] == "/profile?msg=email-changed"
        assert "jane.new@demo.test" in browser.get("/profile").text
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    assert mail.subject == "Security alert for your Demo Tenant account"
    assert (
        "The e-mail address of your account was changed from jane@demo.test to "
        "jane.new@demo.test on "
    ) in mail.text
    with demo.client() as console:  # the user's log: who, the new address and the old one
        sign_in(console, "admin@demo.test")
        page = console.get(f"/admin/users/{user_id_of(demo, 'jane.new@demo.test')}").text
    log = page.split("Change log")[1]
    assert "<td>jane.new@demo.test (the user)</td>" in log
    assert "<td>E-Mail = jane.new@demo.test, before = jane@demo.test</td>" in log


def test_application_of_each_message_is_recorded(demo: LiveServer, api: httpx.Client) -> None:
    """The outbox keeps which application a process started from."""
    app = travel_app(api)
    with demo.client() as browser:
        post_form(
            browser, f"/forgot-password?app={app['id']}", {"identifier": JANE, "app": app["id"]}
        )
    demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])

    async def applications(runtime: Any) -> list[str | None]:
        async with runtime.sessions() as session:
            return list(await session.scalars(select(OutboxMessage.application_id)))

    assert demo.run(applications) == [app["id"]]


def test_mail_server_test_email_speaks_the_administrators_language(demo: LiveServer) -> None:
    """Send Test E-Mail on the Mail Server page: the platform's test e-mail in the profile
    language of the administrator who sent it."""
    greta = "greta@demo.test"
    add_user(demo, greta, authorizations=frozenset({Authorization.MANAGE_TENANT_CONFIGURATION}))
    set_language(demo, greta, "de")
    with demo.client() as console:
        sign_in(console, greta, "User-Pass-123")
        page = console.get("/admin/tenant-settings/mail-server")
        sent = console.post(
            "/admin/tenant-settings/mail-server/test-email",
            data={"to": "it-desk@demo.test", "csrf_token": csrf_token(page)},
        )
        assert sent.status_code == 303, sent.text
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["it-desk@demo.test"])
    assert mail.subject == "Test-E-Mail von Demo Tenant"
    assert lf(mail.text).startswith(
        "Hallo it-desk,\n\nDies ist eine Test-E-Mail, die eine Administratorin oder ein "
        "Administrator von Demo Tenant gesendet hat"
    )
    assert '<html lang="de">' in mail.html


@pytest.mark.parametrize(
    "page_path",
    [
        "/admin/tenant-settings/mail-server",
        "/admin/email-template-sets/default/templates/forgot-password/en",
    ],
)
def test_the_test_email_form_keeps_the_address_it_sent_to(demo: LiveServer, page_path: str) -> None:
    """After Send Test E-Mail the page says where the test went, and its To field still holds
    that address for the next test (it went back to the administrator's own)."""
    action = {
        "/admin/tenant-settings/mail-server": "/admin/tenant-settings/mail-server/test-email",
    }.get(page_path, f"{page_path}/test")
    with demo.client() as console:
        sign_in(console, "admin@demo.test")
        page = console.get(page_path)
        sent = console.post(
            action, data={"to": "it-desk@demo.test", "csrf_token": csrf_token(page)}
        )
        assert sent.status_code == 303, sent.text
        after = console.get(sent.headers["location"])
    assert "it-desk@demo.test" in after.text.split('id="test-outcome"')[1].split("</div>")[0]
    assert re.search(r'<input id="to" name="to" [^>]*value="it-desk@demo.test"', after.text)


def test_the_test_email_greets_a_user_of_the_tenant_by_first_name(demo: LiveServer) -> None:
    """To a user of the tenant, the test e-mail says "Hello Ada," (it said "Hello admin,",
    the address's local part, which stays for addresses of no user)."""
    with demo.client() as console:
        sign_in(console, "admin@demo.test")
        page = console.get("/admin/tenant-settings/mail-server")
        sent = console.post(
            "/admin/tenant-settings/mail-server/test-email",
            data={"to": "Admin@Demo.test", "csrf_token": csrf_token(page)},
        )
        assert sent.status_code == 303, sent.text
    # The card says which way the test goes, whichever tab is open.
    assert "Sent through the configuration in force, the default mail server of the platform," in (
        page.text
    )
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["admin@demo.test"])
    assert lf(mail.text).startswith("Hello Ada,\n\nThis is a test e-mail")
