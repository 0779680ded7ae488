"""An administrator changes a user's login name, names and language, in the console (Edit on
the user's page) and through PATCH /admin/api/v1/users/{id}: recorded in the user's change
log, the new login name signs in, a taken or malformed value is refused naming its field and
changes nothing, and an administrator's details need Manage Tenant Configuration."""

from __future__ import annotations

from gatehouse.accounts.authorizations import Authorization
from gatehouse.processes.demo import DEMO_USER_PASSWORD
from tests.support.accounts import JANE, add_user, api_client, sign_in, user_id_of
from tests.support.delivery import onboard
from tests.support.live import LiveServer
from tests.support.pages import post_form

ADMIN_NEEDS = (
    "Only an administrator with Manage Tenant Configuration can change an administrator's details."
)


def test_an_administrator_edits_a_user_in_the_console(demo: LiveServer) -> None:
    jane = user_id_of(demo, JANE)
    add_user(demo, "bob@demo.test", login_name="bob")
    edit = f"/admin/users/{jane}/edit"
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        assert f'href="{edit}">Edit</a>' in admin.get(f"/admin/users/{jane}").text
        taken = post_form(admin, edit, {"login_name": "BOB", "first_name": "Jane"})
        address = post_form(admin, edit, {"login_name": "bob@demo.test", "first_name": "Jane"})
        saved = post_form(
            admin,
            edit,
            {"login_name": "janed", "first_name": "Janet", "last_name": "Doe", "language": "de"},
        )
        page = admin.get(f"/admin/users/{jane}").text
    assert taken.status_code == 422
    assert "A user with the login name BOB already exists." in taken.text
    assert 'name="login_name" aria-invalid="true"' in taken.text and 'value="BOB"' in taken.text
    assert address.status_code == 422
    assert "The login name bob@demo.test is another user&#39;s e-mail address." in address.text
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/admin/users/{jane}?msg=user-saved",
    )
    assert (
        "<dt>Login Name</dt><dd>janed</dd>" in page and "<dt>Language</dt><dd>Deutsch</dd>" in page
    )
    assert "<td>Login Name = janed, First Name = Janet, Language = Deutsch</td>" in page
    assert page.count("Login Name = ") == 1  # the refused changes changed nothing
    with demo.client() as browser:
        signed_in = post_form(browser, "/", {"identifier": "JaneD", "password": DEMO_USER_PASSWORD})
    assert signed_in.status_code == 303


def test_an_administrators_details_need_manage_tenant_configuration(demo: LiveServer) -> None:
    add_user(demo, "ursula@demo.test", authorizations=frozenset({Authorization.MANAGE_USERS}))
    admin_id = user_id_of(demo, "admin@demo.test")
    with demo.client() as ursula:
        sign_in(ursula, "ursula@demo.test", "User-Pass-123")
        form = ursula.get(f"/admin/users/{admin_id}/edit")
        refused = post_form(ursula, f"/admin/users/{admin_id}/edit", {"first_name": "Mallory"})
        page = ursula.get(f"/admin/users/{admin_id}").text
        plain = ursula.get(f"/admin/users/{user_id_of(demo, JANE)}").text
    assert form.status_code == 403 and ADMIN_NEEDS.replace("'", "&#39;") in form.text
    assert refused.status_code == 403 and ADMIN_NEEDS.replace("'", "&#39;") in refused.text
    assert "Mallory" not in page and "/edit" not in page  # no Edit button to be refused
    assert f"/admin/users/{user_id_of(demo, JANE)}/edit" in plain


def test_the_api_changes_only_the_fields_sent(demo: LiveServer) -> None:
    jane = user_id_of(demo, JANE)
    add_user(demo, "bob@demo.test", login_name="bob")
    demo.run(lambda runtime: onboard(runtime, "other"))
    stranger = add_user(demo, "stranger@other.test", tenant_id="other")
    admin_id = user_id_of(demo, "admin@demo.test")
    path = "/admin/api/v1/users/{}"
    with demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api:
        changed = api.patch(path.format(jane), json={"language": "fr"})
        cleared = api.patch(path.format(jane), json={"login_name": None, "last_name": "Roe"})
        malformed = api.patch(path.format(jane), json={"language": "xx"})
        taken = api.patch(path.format(jane), json={"login_name": "Bob"})
        spaced = api.patch(path.format(jane), json={"login_name": "j d"})
        nulled = api.patch(path.format(jane), json={"first_name": None})
        an_id = api.patch(path.format(jane), json={"login_name": admin_id})
        unknown = api.patch(path.format(jane), json={"email": "new@demo.test"})
        administrator = api.patch(path.format(admin_id), json={"first_name": "Mallory"})
        elsewhere = api.patch(path.format(stranger), json={"first_name": "Mallory"})
        after = api.get(path.format(jane)).json()
    assert changed.status_code == 200 and changed.json()["language"] == "fr"
    assert cleared.status_code == 200
    assert (cleared.json()["login_name"], cleared.json()["last_name"]) == (None, "Roe")
    assert (malformed.status_code, malformed.json()["detail"]["field"]) == (422, "language")
    message = "A user with the login name Bob already exists."
    assert (taken.status_code, taken.json()) == (
        422,
        {"detail": {"field": "login_name", "message": message}},
    )
    assert (nulled.status_code, nulled.json()) == (
        422,
        {"detail": {"field": "first_name", "message": 'Must be text ("" for none).'}},
    )
    assert an_id.json() == {
        "detail": {
            "field": "login_name",
            "message": f"The login name {admin_id} is another user's ID.",
        }
    }
    assert spaced.status_code == 422 and spaced.json()["detail"]["field"] == "login_name"
    assert unknown.status_code == 422  # the address is not changed here
    assert (administrator.status_code, administrator.json()) == (403, {"detail": ADMIN_NEEDS})
    assert elsewhere.status_code == 404
    assert (after["email"], after["language"], after["last_name"]) == (JANE, "fr", "Roe")
