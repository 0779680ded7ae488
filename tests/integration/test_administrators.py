"""Console > Administrators: add an existing or new user with authorizations, edit, remove;
nobody removes Manage Tenant Configuration from themself; systems (API clients) with up to two
secrets, shown once, expiring."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gatehouse.accounts import clients
from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import years_later
from gatehouse.accounts.models import ApiClient, ApiClientSecret
from gatehouse.db.base import utcnow
from gatehouse.processes.demo import DEMO_USER_PASSWORD
from tests.support.accounts import JANE, sign_in, user_id_of
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, link_in, post_form
from tests.support.races import name_check_passes

OWN_CONFIG = "You cannot remove Manage Tenant Configuration from yourself."
SECRET_RE = re.compile(r'<code id="new-secret">([^<]+)</code>')
CLIENT_RE = re.compile(r'<code id="client-id">([^<]+)</code>')


@contextmanager
def admin_client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as client:
        sign_in(client, "admin@demo.test")
        yield client


def add_admin(client: httpx.Client, email: str, *slugs: str, **names: str) -> httpx.Response:
    page = client.get("/admin/administrators/new")
    data = {"csrf_token": csrf_token(page), "email": email, "authorization": list(slugs), **names}
    return client.post("/admin/administrators/new", data=data)


def set_authorizations(client: httpx.Client, user_id: str, *slugs: str) -> httpx.Response:
    page = client.get(f"/admin/administrators/{user_id}")
    data = {"csrf_token": csrf_token(page), "authorization": list(slugs)}
    return client.post(f"/admin/administrators/{user_id}", data=data)


def test_list_shows_administrators_and_their_authorizations(demo: LiveServer) -> None:
    """The tile opens the list: the demo administrator with all six authorizations."""
    with admin_client(demo) as admin:
        home = admin.get("/admin")
        page = admin.get("/admin/administrators")
    assert 'href="/admin/administrators"' in home.text
    assert "admin@demo.test" in page.text and "(you)" in page.text
    for label in (
        "Manage Applications",
        "Manage Users",
        "Read Users",
        "Manage Groups",
        "Manage Corporate Identity Providers",
        "Manage Tenant Configuration",
    ):
        assert label in page.text


def test_an_administrator_without_a_name_is_named_by_address(demo: LiveServer) -> None:
    """The page's title and heading read the address, as the list and the breadcrumb do (they
    were " · Administrator" and an empty heading)."""
    with admin_client(demo) as admin:
        added = add_admin(admin, "noname@demo.test", "read-users")
        listing = admin.get(added.headers["location"]).text
        row = listing[listing.index('data-label="E-mail">noname@demo.test</td>') :]
        link = re.search(r'href="(/admin/administrators/[0-9a-f]{32})"[^>]*>Edit', row)
        assert link is not None
        page = admin.get(link.group(1))
    assert "<title>noname@demo.test · Administrator" in page.text
    assert "<h1>noname@demo.test</h1>" in page.text


def test_each_rows_link_names_its_administrator_or_system(demo: LiveServer) -> None:
    """A screen reader's list of links reads "Edit Jane Doe" and "Manage Billing", not one
    "Edit" per administrator and one "Manage" per system."""
    with admin_client(demo) as admin:
        assert add_admin(admin, JANE, "read-users").status_code == 303
        assert add_system(admin, "Billing", "never", "read-users").status_code == 200
        listing = admin.get("/admin/administrators").text
    assert 'aria-label="Edit Jane Doe">Edit</a>' in listing
    assert 'aria-label="Edit Ada Admin">Edit</a>' in listing
    assert 'aria-label="Manage Billing">Manage</a>' in listing


def test_add_existing_user_then_remove(demo: LiveServer) -> None:
    """Jane becomes a Read Users administrator and can sign in to the console; removed, she is
    a plain user again (her account stays)."""
    with admin_client(demo) as admin:
        added = add_admin(admin, JANE, "read-users")
        assert added.status_code == 303
        assert "Administrator added." in admin.get(added.headers["location"]).text
        with demo.client() as jane:
            sign_in(jane, JANE, DEMO_USER_PASSWORD)
            assert jane.get("/admin/users").status_code == 200
            assert jane.get("/admin/tenant-settings").status_code == 403
        jane_id = user_id_of(demo, JANE)
        page = admin.get(f"/admin/administrators/{jane_id}")
        removed = admin.post(
            f"/admin/administrators/{jane_id}/remove", data={"csrf_token": csrf_token(page)}
        )
        listing = admin.get(removed.headers["location"])
    assert "Administrator removed: the user is a plain user again." in listing.text
    admins_table = listing.text.split('id="administrators"')[1].split("</table>")[0]
    assert "admin@demo.test" in admins_table and JANE not in admins_table
    with demo.client() as jane:
        refused = post_form(
            jane, "/admin/signin", {"identifier": JANE, "password": DEMO_USER_PASSWORD}
        )
        assert refused.status_code == 401
        assert (
            post_form(jane, "/", {"identifier": JANE, "password": DEMO_USER_PASSWORD}).status_code
            == 303
        )


def test_add_new_user_by_email_sends_activation(demo: LiveServer) -> None:
    """An unknown e-mail creates the user, who gets the activation e-mail and lands in the
    console after setting a password."""
    with admin_client(demo) as admin:
        added = add_admin(admin, "ops@demo.test", "manage-users", first_name="Olive")
        assert "activation e-mail is on its way" in admin.get(added.headers["location"]).text
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["ops@demo.test"])
    with demo.client() as ops:
        path = link_in(mail.text).split(str(demo.port), 1)[1]
        form = ops.get(path)
        done = ops.post(
            "/activate",
            data={
                "token": path.split("token=")[1],
                "password": "Ops-Admin-55",
                "password_confirm": "Ops-Admin-55",
                "csrf_token": csrf_token(form),
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/admin?msg=activated"
        assert "User Management" in ops.get("/admin").text


def test_add_refusals(demo: LiveServer) -> None:
    """No authorization, or a user who is already an administrator, is refused with why."""
    with admin_client(demo) as admin:
        none = add_admin(admin, JANE)
        twice = add_admin(admin, "admin@demo.test", "read-users")
        bad_address = add_admin(admin, "not-an-address", "read-users")
        empty = add_admin(admin, "")
    assert none.status_code == twice.status_code == bad_address.status_code == 422
    # In the form's order: an empty form is told of its address first.
    assert empty.status_code == 422
    assert 'id="page-error">E-Mail: Enter an e-mail address.</div>' in empty.text
    # No authorization chosen: the group of boxes is marked.
    assert '<fieldset class="checks has-error" aria-describedby="page-error">' in none.text
    assert "has-error" not in bad_address.text.split("<fieldset")[1].split(">")[0]
    assert (  # the field in error, marked for assistive technology
        '<input id="email" name="email" aria-invalid="true" aria-describedby="page-error"'
        in bad_address.text
    )
    assert "Choose at least one authorization." in none.text
    assert (
        "admin@demo.test is already an administrator. Edit their authorizations instead."
        in twice.text
    )


def test_add_refusal_names_the_field_as_create_user_does(demo: LiveServer) -> None:
    """A bad address is refused naming the E-Mail field, whose box is marked in error, as
    Create User does (the message had no field name and no field was marked)."""
    with admin_client(demo) as admin:
        bad_address = add_admin(admin, "not-an-address", "read-users")
    assert bad_address.status_code == 422
    assert (
        "E-Mail: Not a valid e-mail address: An e-mail address must have an @-sign."
        in bad_address.text
    )
    assert '<div class="field wide has-error">' in bad_address.text


def test_nobody_removes_manage_tenant_configuration_from_themself(demo: LiveServer) -> None:
    """Unticking it on oneself, or removing oneself, is refused (409) and changes nothing;
    dropping another authorization from oneself is fine."""
    me = user_id_of(demo, "admin@demo.test")
    with admin_client(demo) as admin:
        unticked = set_authorizations(admin, me, "manage-users")
        page = admin.get(f"/admin/administrators/{me}")
        removed = admin.post(
            f"/admin/administrators/{me}/remove", data={"csrf_token": csrf_token(page)}
        )
        fine = set_authorizations(admin, me, "manage-tenant-configuration", "manage-users")
        still = admin.get("/admin/tenant-settings")
    assert unticked.status_code == removed.status_code == 409
    assert OWN_CONFIG in unticked.text and OWN_CONFIG in removed.text
    assert fine.status_code == 303 and still.status_code == 200
    assert "Remove Administrator</button>" in page.text and "disabled" in page.text
    # The page says why, and does not offer to untick it: the box is fixed, its value kept.
    assert "You cannot remove yourself: you hold Manage Tenant Configuration." in page.text
    assert '<input type="checkbox" checked disabled> Manage Tenant Configuration' in page.text
    assert '<input type="hidden" name="authorization" value="manage-tenant-configuration">' in (
        page.text
    )


def test_change_log_records_administrator_changes(demo: LiveServer) -> None:
    """Adding and editing an administrator appear in the change log with who did it."""
    with admin_client(demo) as admin:
        add_admin(admin, JANE, "read-users")
        set_authorizations(admin, user_id_of(demo, JANE), "read-users", "manage-users")
        page = admin.get("/admin/administrators")
    log = page.text.split("Change log")[1]
    assert log.count("<td>admin@demo.test</td>") == 2
    assert "Manage Users, Read Users" in log and "<td>Created</td>" in log
    assert "<td>Changed</td>" in log and "Administrator = jane@demo.test" in log


def api_status(live: LiveServer, client_id: str, secret: str) -> int:
    with live.client(auth=(client_id, secret)) as api:
        return api.get("/admin/api/v1/users").status_code


def add_system(admin: httpx.Client, name: str, expiry: str, *slugs: str) -> httpx.Response:
    """The page an Add System leads to (the new system's, with its secret), or the refusal."""
    page = admin.get("/admin/administrators/systems/new")
    data = {"csrf_token": csrf_token(page), "name": name, "expiry": expiry}
    answer = admin.post(
        "/admin/administrators/systems/new", data={**data, "authorization": list(slugs)}
    )
    return admin.get(answer.headers["location"]) if answer.status_code == 303 else answer


def add_secret(admin: httpx.Client, client_id: str, expiry: str) -> httpx.Response:
    """The page an Add Secret leads to, or the refusal."""
    page = admin.get(f"/admin/administrators/systems/{client_id}")
    answer = admin.post(
        f"/admin/administrators/systems/{client_id}/secrets",
        data={"csrf_token": csrf_token(page), "expiry": expiry},
    )
    return admin.get(answer.headers["location"]) if answer.status_code == 303 else answer


def test_system_secrets_shown_once_two_at_most_and_rotated(demo: LiveServer) -> None:
    """A new system's secret is shown once and works; a second secret works too; a third is
    refused; deleting the first stops it; the last one cannot be deleted."""
    with admin_client(demo) as admin:
        created = add_system(admin, "Provisioning", "1y", "read-users")
        assert created.status_code == 200
        client_id = CLIENT_RE.search(created.text).group(1)  # type: ignore[union-attr]
        first = SECRET_RE.search(created.text).group(1)  # type: ignore[union-attr]
        page = admin.get(f"/admin/administrators/systems/{client_id}")
        assert first not in page.text and "new-secret" not in page.text
        assert api_status(demo, client_id, first) == 200
        second_page = add_secret(admin, client_id, "never")
        second = SECRET_RE.search(second_page.text).group(1)  # type: ignore[union-attr]
        assert "Add Secret" not in second_page.text
        third = add_secret(admin, client_id, "2y")
        assert third.status_code == 409
        assert "A system has at most two secrets. Delete one before adding another." in third.text
        assert api_status(demo, client_id, first) == api_status(demo, client_id, second) == 200
        secret_ids = re.findall(
            r"confirm=delete-secret&amp;secret=([0-9a-f]{32})", second_page.text
        )
        assert len(secret_ids) == 2
        admin.post(
            f"/admin/administrators/systems/{client_id}/secrets/{secret_ids[0]}/delete",
            data={"csrf_token": csrf_token(page)},
        )
        assert api_status(demo, client_id, first) == 401
        assert api_status(demo, client_id, second) == 200
        last = admin.post(
            f"/admin/administrators/systems/{client_id}/secrets/{secret_ids[1]}/delete",
            data={"csrf_token": csrf_token(page)},
        )
        deleted = admin.post(
            f"/admin/administrators/systems/{client_id}/delete",
            data={"csrf_token": csrf_token(page)},
        )
        assert deleted.status_code == 303
        stale = admin.post(  # the same Delete from a page loaded before
            f"/admin/administrators/systems/{client_id}/delete",
            data={"csrf_token": csrf_token(page)},
        )
    assert last.status_code == 409
    assert "This is the system&#39;s only secret. Add a new one first, or delete the system." in (
        last.text
    )
    assert stale.status_code == 404
    assert "There is no such system: it may have been deleted." in stale.text


def test_a_new_secret_is_shown_after_a_redirect_and_a_reload_neither_adds_nor_shows_it(
    demo: LiveServer,
) -> None:
    """Add System and Add Secret answer with a redirect to the system's page, which shows the
    new secret once: reloading it shows no secret and adds none (it used to be the POST's own
    answer, so a reload posted the form again: a second secret). The secret is carried there
    encrypted, and only to that system's page."""
    with admin_client(demo) as admin:
        page = admin.get("/admin/administrators/systems/new")
        posted = admin.post(
            "/admin/administrators/systems/new",
            data={
                "csrf_token": csrf_token(page),
                "name": "Ops",
                "expiry": "1y",
                "authorization": ["read-users"],
            },
        )
        assert posted.status_code == 303
        shown = admin.get(posted.headers["location"])
        client_id = CLIENT_RE.search(shown.text).group(1)  # type: ignore[union-attr]
        secret = SECRET_RE.search(shown.text).group(1)  # type: ignore[union-attr]
        assert posted.headers["location"] == f"/admin/administrators/systems/{client_id}"
        assert secret not in str(posted.headers) and secret not in posted.text
        assert 'gh_shown_once=""' in shown.headers["set-cookie"]  # cleared by the page
        reloaded = admin.get(posted.headers["location"])
        assert "new-secret" not in reloaded.text and secret not in reloaded.text
        other = CLIENT_RE.search(add_system(admin, "Other", "1y", "read-users").text)
        again = admin.post(
            f"/admin/administrators/systems/{client_id}/secrets",
            data={"csrf_token": csrf_token(page), "expiry": "never"},
        )
        carried = again.cookies["gh_shown_once"]
        admin.cookies.delete("gh_shown_once")  # sent instead to another system's page
        admin.cookies.set("gh_shown_once", carried, path="/")
        elsewhere = admin.get(f"/admin/administrators/systems/{other.group(1)}")  # type: ignore[union-attr]
        assert elsewhere.status_code == 200 and "new-secret" not in elsewhere.text
    assert api_status(demo, client_id, secret) == 200
    count = demo.run(lambda runtime: secret_count(runtime, client_id))
    assert count == 2  # the first and the one added, nothing more


async def secret_count(runtime: Any, client_id: str) -> int:
    async with runtime.sessions() as session:
        return int(
            await session.scalar(select(func.count()).where(ApiClientSecret.client_id == client_id))
            or 0
        )


def test_a_system_without_authorization_is_refused_in_the_console_words(
    demo: LiveServer,
) -> None:
    """Adding or saving a system with no authorization ticked says what to do as Add
    Administrator does (it spoke of a "client", a word the console does not use)."""
    with admin_client(demo) as admin:
        none = add_system(admin, "Provisioning", "1y")
        created = add_system(admin, "Provisioning", "1y", "read-users")
        client_id = CLIENT_RE.search(created.text).group(1)  # type: ignore[union-attr]
        page = admin.get(f"/admin/administrators/systems/{client_id}")
        emptied = admin.post(
            f"/admin/administrators/systems/{client_id}",
            data={"csrf_token": csrf_token(page), "name": "Provisioning"},
        )
    for refused in (none, emptied):
        assert refused.status_code == 422
        assert "Choose at least one authorization." in refused.text
        assert "client" not in refused.text.split('id="page-error">')[1].split("</div>")[0]


def test_a_system_name_is_taken_once(demo: LiveServer) -> None:
    """The form sent again (a reload of the page that shows the new secret) or another system
    of the same name in other letter case adds nothing; the message names the field."""
    with admin_client(demo) as admin:
        assert add_system(admin, "Provisioning", "1y", "read-users").status_code == 200
        again = add_system(admin, "Provisioning", "1y", "read-users")
        other_case = add_system(admin, "provisioning ", "never", "manage-users")
        assert add_system(admin, "Billing  Sync", "never", "read-users").status_code == 200
        spaced = add_system(admin, " Billing Sync", "never", "read-users")
        page = admin.get("/admin/administrators")
    assert (
        '<td data-label="Name">Billing Sync</td>' in page.text
    )  # white space inside a name made one space
    for refused, name in (
        (again, "Provisioning"),
        (other_case, "provisioning"),
        (spaced, "Billing Sync"),
    ):
        assert refused.status_code == 422
        assert f"A system named “{name}” exists already: choose another." in refused.text
        assert SECRET_RE.search(refused.text) is None
    assert page.text.count('<td data-label="Name">Provisioning</td>') == 1
    log = page.text.split("Change log")[1]  # the system as the page names it
    assert "System = Provisioning (" in log and "Authorizations = Read Users" in log


def test_a_system_name_beyond_ascii_is_taken_in_either_case(demo: LiveServer) -> None:
    """Letters beyond ASCII have cases too: "ÜBERWEISUNG" is "Überweisung" and "MASSE" is
    "Maße" (case folding), added or renamed; the message is the one ASCII names get."""
    with admin_client(demo) as admin:
        for name in ("Überweisung", "Maße"):
            assert add_system(admin, name, "never", "read-users").status_code == 200
        added = add_system(admin, "ÜBERWEISUNG", "never", "read-users")
        other = add_system(admin, "Reports", "never", "read-users")
        other_id = CLIENT_RE.search(other.text).group(1)  # type: ignore[union-attr]
        form = admin.get(f"/admin/administrators/systems/{other_id}")
        data = {"csrf_token": csrf_token(form), "name": "MASSE", "authorization": "read-users"}
        renamed = admin.post(f"/admin/administrators/systems/{other_id}", data=data)
        page = admin.get("/admin/administrators")
    for refused, name in ((added, "ÜBERWEISUNG"), (renamed, "MASSE")):
        assert refused.status_code == 422
        assert f"A system named “{name}” exists already: choose another." in refused.text
    assert (
        '<td data-label="Name">ÜBERWEISUNG</td>' not in page.text
        and '<td data-label="Name">MASSE</td>' not in page.text
    )
    assert (
        page.text.count('<td data-label="Name">Überweisung</td>')
        == page.text.count('<td data-label="Name">Reports</td>')
        == 1
    )


@pytest.mark.parametrize(
    ("name", "lower", "upper"),
    [
        ("Provisioning", "provisioning", "PROVISIONING"),
        ("Überweisung Straße", "überweisung strasse", "ÜBERWEISUNG STRASSE"),
    ],
)
def test_a_system_name_is_kept_once_by_the_database(
    demo: LiveServer, monkeypatch: pytest.MonkeyPatch, name: str, lower: str, upper: str
) -> None:
    """Two requests at once both pass the service's check: the database's unique index refuses
    the second (other letter case too) with the check's own message, not an internal error,
    and the first is kept."""

    monkeypatch.setattr(clients, "_check_name_free", name_check_passes)
    with admin_client(demo) as admin:
        assert add_system(admin, name, "1y", "read-users").status_code == 200
        second = add_system(admin, lower, "never", "manage-users")
        other = add_system(admin, "Reports", "never", "read-users")
        other_id = CLIENT_RE.search(other.text).group(1)  # type: ignore[union-attr]
        form = admin.get(f"/admin/administrators/systems/{other_id}")
        renamed = admin.post(
            f"/admin/administrators/systems/{other_id}",
            data={
                "csrf_token": csrf_token(form),
                "name": upper,
                "authorization": "manage-users",
            },
        )
        page = admin.get("/admin/administrators")
    for refused, sent in ((second, lower), (renamed, upper)):
        assert refused.status_code == 422
        assert f"A system named “{sent}” exists already: choose another." in refused.text
        assert SECRET_RE.search(refused.text) is None
        # The field in error keeps what was typed, marked for assistive technology too.
        assert (
            f'name="name" aria-invalid="true" aria-describedby="page-error" type="text" '
            f'required maxlength="100" value="{sent}"'
        ) in refused.text
    # The refused rename keeps the authorizations sent, not the stored ones.
    assert 'name="authorization" value="manage-users" checked' in renamed.text
    assert 'name="authorization" value="read-users" checked' not in renamed.text
    assert (
        page.text.count(f'<td data-label="Name">{name}</td>')
        == page.text.count('<td data-label="Name">Reports</td>')
        == 1
    )
    assert f'<td data-label="Name">{lower}</td>' not in page.text and upper not in page.text


def test_a_system_refused_later_in_its_request_leaves_nothing(demo: LiveServer) -> None:
    """The system, its secret and its log entry are one change: rolled back together (on
    SQLite a savepoint around the system's row committed it on its own)."""

    async def create_then_roll_back(runtime: Any) -> tuple[int, int]:
        async with runtime.sessions() as session:
            new = await clients.create_client(
                session,
                tenant_id="demo",
                name="Half Done",
                authorizations=frozenset({Authorization.READ_USERS}),
                actor="test",
            )
            await session.rollback()
            named = await session.scalar(
                select(func.count()).select_from(ApiClient).where(ApiClient.name == "Half Done")
            )
            secrets = await session.scalar(
                select(func.count())
                .select_from(ApiClientSecret)
                .where(ApiClientSecret.client_id == new.client_id)
            )
        return int(named or 0), int(secrets or 0)

    assert demo.run(create_then_roll_back) == (0, 0)


def test_expired_secret_is_refused(demo: LiveServer) -> None:
    """A secret past its expiry no longer authenticates; the 1-year choice sets a calendar year."""
    with admin_client(demo) as admin:
        created = add_system(admin, "Reports", "1y", "read-users")
    client_id = CLIENT_RE.search(created.text).group(1)  # type: ignore[union-attr]
    secret = SECRET_RE.search(created.text).group(1)  # type: ignore[union-attr]
    assert api_status(demo, client_id, secret) == 200

    async def expire(runtime: Any) -> timedelta:
        async with runtime.sessions.begin() as session:
            record = await session.scalar(
                select(ApiClientSecret).where(ApiClientSecret.client_id == client_id)
            )
            lifetime: timedelta = record.expires_at - years_later(record.created_at, 1)
            record.expires_at = utcnow() - timedelta(seconds=1)
            return lifetime

    lifetime = demo.run(expire)
    assert abs(lifetime) < timedelta(minutes=1)  # the same day and time a year later
    assert api_status(demo, client_id, secret) == 401


def last_used(page: httpx.Response) -> list[str]:
    """The Last used cell of each secret on a system's page, oldest secret first."""
    return re.findall(r'<td class="last-used">([^<]*)</td>', page.text)


def test_a_secret_shows_when_it_last_authenticated_a_call(demo: LiveServer) -> None:
    """Rotation: after the new secret's first call, its Last used shows that minute while the
    old one's stays as it was, so an administrator sees which secret a system still uses.
    A refused secret is not counted."""
    with admin_client(demo) as admin:
        created = add_system(admin, "Rotating", "1y", "read-users")
        client_id = CLIENT_RE.search(created.text).group(1)  # type: ignore[union-attr]
        old = SECRET_RE.search(created.text).group(1)  # type: ignore[union-attr]
        assert last_used(admin.get(f"/admin/administrators/systems/{client_id}")) == [
            "No calls recorded"
        ]
        assert api_status(demo, client_id, old) == 200
        new_page = add_secret(admin, client_id, "1y")
        new = SECRET_RE.search(new_page.text).group(1)  # type: ignore[union-attr]
        after_old = last_used(admin.get(f"/admin/administrators/systems/{client_id}"))
        assert api_status(demo, client_id, new) == 200
        assert api_status(demo, client_id, new + "x") == 401
        after_new = last_used(admin.get(f"/admin/administrators/systems/{client_id}"))
    minute = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert minute.fullmatch(after_old[0]) and after_old[1] == "No calls recorded"
    assert after_new[0] == after_old[0] and minute.fullmatch(after_new[1])


def test_a_secrets_last_use_is_written_at_most_once_a_minute(demo: LiveServer) -> None:
    """A call within a minute of the recorded one writes nothing (a system calling every second
    would write every time); a call after it moves Last used on."""
    with admin_client(demo) as admin:
        created = add_system(admin, "Busy", "1y", "read-users")
    client_id = CLIENT_RE.search(created.text).group(1)  # type: ignore[union-attr]
    secret = SECRET_RE.search(created.text).group(1)  # type: ignore[union-attr]

    async def set_last_used(runtime: Any, seconds_ago: int) -> Any:
        at = utcnow() - timedelta(seconds=seconds_ago)
        async with runtime.sessions.begin() as session:
            stored = await session.scalar(
                select(ApiClientSecret).where(ApiClientSecret.client_id == client_id)
            )
            stored.last_used_at = at
        return at

    async def read_last_used(runtime: Any) -> Any:
        async with runtime.sessions() as session:
            return await session.scalar(
                select(ApiClientSecret.last_used_at).where(ApiClientSecret.client_id == client_id)
            )

    recent = demo.run(lambda runtime: set_last_used(runtime, 30))
    assert api_status(demo, client_id, secret) == 200
    assert demo.run(read_last_used) == recent
    stale = demo.run(lambda runtime: set_last_used(runtime, 90))
    assert api_status(demo, client_id, secret) == 200
    assert demo.run(read_last_used) > stale + timedelta(seconds=80)
