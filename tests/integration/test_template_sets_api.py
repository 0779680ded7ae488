"""``/admin/api/v1/template-sets`` and ``/applications`` against the live server: the issue's
scenario (a German forgot-password template with ${user.firstName} assigned to User Profile),
refusals with line and column that store nothing, fallback, sets in use, tenant scoping and
authorizations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.applications import service as application_service
from gatehouse.audit import AuditEntry
from gatehouse.mail.templates.defaults import DEFAULT_SET
from gatehouse.mail.templates.resolve import TemplateSources, Wanted, resolve_template
from gatehouse.processes.onboarding import onboard_tenant
from tests.support.accounts import add_user, api_client
from tests.support.live import LiveServer
from tests.support.pages import link_in
from tests.support.races import name_check_passes

SETS = "/admin/api/v1/template-sets"
APPS = "/admin/api/v1/applications"
GERMAN = {
    "subject": "Passwort vergessen, ${user.firstName}?",
    "text": "Hallo ${user.firstName},\n\nhier ist Ihr Link: ${user.reset_password_link}\n",
    "html": '<p>Hallo ${user.firstName},</p><p><a href="${user.reset_password_link}">Neues '
    "Passwort</a></p>",
}


@pytest.fixture
def admin(demo: LiveServer) -> httpx.Client:
    """An API client of the demo tenant with Manage Tenant Configuration and Applications."""
    auth = api_client(
        demo, Authorization.MANAGE_TENANT_CONFIGURATION, Authorization.MANAGE_APPLICATIONS
    )
    with demo.client(auth=auth) as client:
        yield client


def set_language(live: LiveServer, email: str, language: str) -> None:
    async def change(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await session.execute(update(User).where(User.email == email).values(language=language))

    live.run(change)


def audit_count(live: LiveServer) -> int:
    async def count(runtime: Any) -> int:
        async with runtime.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    return int(live.run(count))


def new_set(api: httpx.Client, name: str = "Corporate") -> str:
    created = api.post(SETS, json={"name": name})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def lf(text: str) -> str:
    """Line ends as written: SMTP carries CRLF."""
    return text.replace("\r\n", "\n")


def forgot(live: LiveServer, identifier: str) -> None:
    with live.client() as client:
        assert (
            client.post(
                "/service/users/forgotPassword", json={"identifier": identifier}
            ).status_code
            == 200
        )


def test_german_user_gets_the_custom_german_template_english_user_the_default(
    demo: LiveServer, admin: httpx.Client
) -> None:
    """The issue's scenario, end to end through a real SMTP server."""
    set_id = new_set(admin)
    put = admin.put(f"{SETS}/{set_id}/templates/forgot-password/de", json=GERMAN)
    assert put.status_code == 200, put.text
    assigned = admin.put(f"{APPS}/user-profile", json={"template_set_id": set_id})
    assert assigned.status_code == 200 and assigned.json()["template_set_id"] == set_id
    set_language(demo, "jane@demo.test", "de")
    add_user(demo, "max@demo.test")  # English

    forgot(demo, "jane@demo.test")
    forgot(demo, "max@demo.test")
    [german] = demo.wait_for_mail(lambda m: m.rcpt_to == ["jane@demo.test"])
    [english] = demo.wait_for_mail(lambda m: m.rcpt_to == ["max@demo.test"])

    assert german.subject == "Passwort vergessen, Jane?"
    link = link_in(german.text)
    assert lf(german.text) == f"Hallo Jane,\n\nhier ist Ihr Link: {link}\n"
    assert lf(german.html) == f'<p>Hallo Jane,</p><p><a href="{link}">Neues Passwort</a></p>\n'
    assert english.subject == "Reset your password for Demo Tenant"
    assert english.subject == DEFAULT_SET[("forgot-password", "en")].subject.replace(
        "{{ user.sp_name }}", "Demo Tenant"
    )
    assert lf(english.text).startswith(
        "Hello max,\n\nWe received a request to reset your password."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hallo ${user.firstName}, Ihr Passwort: ${user.password}\n${user.reset_password_link}",
            {
                "field": "text",
                "line": 1,
                "column": 42,
                "message": "user.password is not a placeholder of the Forgot Password template.",
            },
        ),
        (
            "Hallo {{ ''.__class__ }}\n${user.reset_password_link}",
            {
                "field": "text",
                "line": 1,
                "column": 12,
                "message": "The attribute __class__ cannot be used: templates can use only the "
                "placeholders of their type.",
            },
        ),
        (
            "Hallo ${1" + "0" * 5000 + "}\n${user.reset_password_link}",
            {
                "field": "text",
                "line": 1,
                "column": 9,
                "message": "Numbers in templates may have at most 18 digits.",
            },
        ),
    ],
)
def test_forbidden_template_is_refused_with_position_and_nothing_changes(
    demo: LiveServer, admin: httpx.Client, text: str, expected: dict[str, Any]
) -> None:
    """${user.password} and {{ ''.__class__ }}: 422 with line and column; nothing stored."""
    set_id = new_set(admin)
    path = f"{SETS}/{set_id}/templates/forgot-password/de"
    assert admin.put(path, json=GERMAN).status_code == 200
    before, changes = admin.get(path).json(), audit_count(demo)

    refused = admin.put(path, json={**GERMAN, "text": text})

    assert refused.status_code == 422
    assert refused.json()["detail"] == {**expected, "problems": [expected]}
    assert admin.get(path).json() == before
    assert audit_count(demo) == changes


def test_missing_mandatory_placeholder_and_syntax_error_are_refused(
    admin: httpx.Client,
) -> None:
    """Both bodies must carry the link; a broken expression names its line and column."""
    set_id = new_set(admin)
    path = f"{SETS}/{set_id}/templates/forgot-password/en"
    missing = admin.put(path, json={**GERMAN, "html": "<p>no link</p>"})
    broken = admin.put(path, json={**GERMAN, "subject": "Hi {{ user.firstName"})
    assert missing.json()["detail"]["message"] == (
        "The HTML body must contain the placeholder {{ user.reset_password_link }} "
        "(or ${user.reset_password_link})."
    )
    assert (missing.json()["detail"]["field"], missing.status_code) == ("html", 422)
    assert broken.json()["detail"] == {
        "field": "subject",
        "line": 1,
        "column": 4,
        "message": "Syntax error: the template ends where }} is expected.",
        "problems": [broken.json()["detail"]["problems"][0]],
    }


def test_new_set_is_a_copy_of_default_and_unused_until_assigned(admin: httpx.Client) -> None:
    """All 72 templates are copied; the list shows Default first and who uses which set."""
    set_id = new_set(admin, "Marketing")
    detail = admin.get(f"{SETS}/{set_id}").json()
    copy = admin.get(f"{SETS}/{set_id}/templates/invitation/fr").json()
    listing = admin.get(SETS).json()["template_sets"]
    assert len(detail["templates"]) == 72 and detail["used_by"] == []
    default_fr = DEFAULT_SET[("invitation", "fr")]
    assert (copy["subject"], copy["text"], copy["html"]) == tuple(default_fr)
    assert [(s["name"], s["builtin"], s["used_by"]) for s in listing] == [
        ("Default", True, ["User Profile"]),
        ("Marketing", False, []),
    ]


def test_default_set_is_read_only(admin: httpx.Client) -> None:
    """Writing or deleting a Default template is 409; reading it works."""
    path = f"{SETS}/default/templates/forgot-password/en"
    assert admin.get(path).json()["subject"] == "Reset your password for {{ user.sp_name }}"
    assert admin.put(path, json=GERMAN).json() == {
        "detail": "The Default set is built in and cannot be changed; create a copy of it."
    }
    assert admin.delete(path).status_code == 409
    assert admin.delete(f"{SETS}/default").status_code == 409


def test_set_in_use_cannot_be_deleted(admin: httpx.Client) -> None:
    """409 naming the application; once it uses another set, the set can go."""
    set_id = new_set(admin)
    app = admin.post(APPS, json={"name": "Travel", "home_url": "https://travel.example/"}).json()
    admin.put(f"{APPS}/{app['id']}", json={"template_set_id": set_id})
    refused = admin.delete(f"{SETS}/{set_id}")
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": "The set is used by Travel. Assign another set to it first."},
    )
    wiki = admin.post(APPS, json={"name": "Wiki", "home_url": "https://wiki.example/"}).json()
    admin.put(f"{APPS}/{wiki['id']}", json={"template_set_id": set_id})
    both = admin.delete(f"{SETS}/{set_id}").json()["detail"]
    assert both == "The set is used by Travel, Wiki. Assign another set to them first."
    admin.put(f"{APPS}/{wiki['id']}", json={"template_set_id": "default"})
    admin.put(f"{APPS}/{app['id']}", json={"template_set_id": "default"})
    assert admin.delete(f"{SETS}/{set_id}").status_code == 204
    assert admin.get(f"{SETS}/{set_id}").status_code == 404


def test_rename_and_name_rules(admin: httpx.Client) -> None:
    """Names are unique per tenant (Default included); renaming keeps the ID."""
    set_id = new_set(admin, "One")
    new_set(admin, "Two")
    taken = admin.patch(f"{SETS}/{set_id}", json={"name": "two"})
    default = admin.post(SETS, json={"name": "Default"})
    renamed = admin.patch(f"{SETS}/{set_id}", json={"name": "Uno"})
    message = {"field": "name", "message": "A template set with this name already exists."}
    assert taken.json() == default.json() == {"detail": message}
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["id"]) == (
        200,
        "Uno",
        set_id,
    )


def test_a_name_of_the_wrong_length_gets_one_message(admin: httpx.Client) -> None:
    """An empty, blank or long set or application name is refused with the service's rule on
    create and rename alike (an empty one got pydantic's "String should have at least 1
    character" on create, the rule on rename; one over 200 characters "at most 200")."""
    set_id = new_set(admin, "One")
    app_id = admin.post(APPS, json={"name": "App", "home_url": "https://a.example/"}).json()["id"]
    for name in ("", "   ", "n" * 201):
        answers = {
            "set created": admin.post(SETS, json={"name": name}),
            "set renamed": admin.patch(f"{SETS}/{set_id}", json={"name": name}),
            "app created": admin.post(APPS, json={"name": name, "home_url": "https://a.example/"}),
            "app renamed": admin.put(f"{APPS}/{app_id}", json={"name": name}),
        }
        rules = {
            what: {"field": "name", "message": f"The name must have 1 to {most} characters."}
            for what, most in (("set", 64), ("app", 100))
        }
        for what, answer in answers.items():
            expected = (422, {"detail": rules[what.split()[0]]})
            assert (answer.status_code, answer.json()) == expected, (what, len(name))
    long_url = "https://a.example/" + "x" * 2000
    url_rule = {
        "field": "home_url",
        "message": "The home URL must be an http:// or https:// address of at most 2000 "
        "characters, with a valid host name and no spaces.",
    }
    for answer in (
        admin.post(APPS, json={"name": "Long", "home_url": long_url}),
        admin.put(f"{APPS}/{app_id}", json={"home_url": long_url}),
        admin.post(APPS, json={"name": "Empty", "home_url": ""}),
    ):
        assert (answer.status_code, answer.json()) == (422, {"detail": url_rule})


def test_fallback_order(demo: LiveServer, admin: httpx.Client) -> None:
    """Custom in the language, custom in English, Default in the language, Default in English."""
    set_id = new_set(admin)
    base = f"{SETS}/{set_id}/templates/forgot-password"
    custom_en = {**GERMAN, "subject": "Custom English"}
    admin.put(f"{base}/de", json=GERMAN)
    admin.put(f"{base}/en", json=custom_en)

    async def resolve(runtime: Any) -> list[tuple[str, str, str]]:
        """One e-mail at a time (the console), and the three read together (the worker)."""
        wanted = [
            Wanted("demo", "forgot-password", language, template_set_id=set_id)
            for language in ("de", "fr", "nl")
        ]
        async with runtime.sessions() as session:
            alone = [await resolve_template(session, w) for w in wanted]
            sources = await TemplateSources.read(session, wanted)
        together = [sources.resolve(w) for w in wanted]
        found = [(r.template.subject, r.set_id == set_id, r.language) for r in alone]
        assert [(r.template.subject, r.set_id == set_id, r.language) for r in together] == found
        return found

    assert demo.run(resolve)[0] == ("Passwort vergessen, ${user.firstName}?", True, "de")
    assert admin.delete(f"{base}/de").status_code == 204
    assert admin.delete(f"{base}/fr").status_code == 204
    assert demo.run(resolve) == [("Custom English", True, "en")] * 3
    admin.delete(f"{base}/en")
    german, french, dutch = demo.run(resolve)
    assert german == ("Setzen Sie Ihr Passwort für {{ user.sp_name }} zurück", False, "de")
    assert french == ("Réinitialisez votre mot de passe {{ user.sp_name }}", False, "fr")
    assert dutch == ("Reset your password for {{ user.sp_name }}", False, "en")  # no Dutch
    assert admin.get(f"{base}/de").json() == {
        "detail": "The set has no forgot-password template in de; its e-mails fall back."
    }


def test_unknown_type_and_language_are_404(admin: httpx.Client) -> None:
    """The path names a template type and language the platform knows."""
    set_id = new_set(admin)
    wrong_type = admin.put(f"{SETS}/{set_id}/templates/password-spam/en", json=GERMAN)
    wrong_language = admin.get(f"{SETS}/{set_id}/templates/forgot-password/xx")
    assert wrong_type.status_code == wrong_language.status_code == 404
    assert wrong_language.json() == {
        "detail": "There is no language 'xx'; the languages are: en, de, fr, es, it, pt, ja, zh."
    }


def test_sets_and_applications_are_tenant_scoped(demo: LiveServer, admin: httpx.Client) -> None:
    """Another tenant can neither read demo's set nor assign it to its application."""
    set_id = new_set(admin)

    async def other(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await onboard_tenant(
                session,
                settings=demo.settings,
                display_name="Other",
                admin_email="o@other.test",
                tenant_id="other",
                admin_password="Other-Admin-1",
            )

    demo.run(other)
    auth = api_client(
        demo,
        Authorization.MANAGE_TENANT_CONFIGURATION,
        Authorization.MANAGE_APPLICATIONS,
        tenant_id="other",
    )
    with demo.client("other", auth=auth) as theirs:
        read = theirs.get(f"{SETS}/{set_id}")
        write = theirs.put(f"{SETS}/{set_id}/templates/forgot-password/de", json=GERMAN)
        assign = theirs.put(f"{APPS}/user-profile", json={"template_set_id": set_id})
        listing = theirs.get(SETS).json()["template_sets"]
    assert read.status_code == write.status_code == 404
    assert (assign.status_code, assign.json()) == (
        422,
        {
            "detail": {
                "field": "template_set_id",
                "message": "There is no template set with this ID.",
            }
        },
    )
    assert [s["name"] for s in listing] == ["Default"]


def test_authorizations(demo: LiveServer) -> None:
    """Templates need Manage Tenant Configuration; applications need Manage Applications."""
    apps_only = api_client(demo, Authorization.MANAGE_APPLICATIONS)
    config_only = api_client(demo, Authorization.MANAGE_TENANT_CONFIGURATION)
    with demo.client(auth=apps_only) as api:
        assert api.get(SETS).status_code == 403
        assert api.get(APPS).status_code == 200
    with demo.client(auth=config_only) as api:
        assert api.get(SETS).status_code == 200
        assert api.put(f"{APPS}/user-profile", json={"email_otp": True}).status_code == 403
    with demo.client() as anonymous:
        assert anonymous.get(SETS).status_code == 401


def test_applications_list_and_builtin_rules(admin: httpx.Client) -> None:
    """User Profile is listed first and keeps its name; added ones have a logon URL with app."""
    created = admin.post(APPS, json={"name": "Travel", "home_url": "https://travel.example/"})
    other_case = admin.post(APPS, json={"name": "TRAVEL", "home_url": "https://x.example/"})
    rename_builtin = admin.put(f"{APPS}/user-profile", json={"name": "Mine"})
    bad_url = admin.post(APPS, json={"name": "X", "home_url": "javascript:alert(1)"})
    apps = admin.get(APPS).json()["applications"]
    app_id = created.json()["id"]
    assert [(a["name"], a["builtin"], a["template_set_id"]) for a in apps] == [
        ("User Profile", True, "default"),
        ("Travel", False, "default"),
    ]
    assert apps[1]["logon_url"].endswith(f"/?app={app_id}")
    assert (other_case.status_code, other_case.json()["detail"]["field"]) == (422, "name")
    assert rename_builtin.json() == {
        "detail": "The User Profile application is built in: its name and home URL cannot change."
    }
    assert bad_url.json()["detail"] == {
        "field": "home_url",
        "message": "The home URL must be an http:// or https:// address of at most 2000 "
        "characters, with a valid host name and no spaces.",
    }
    assert admin.delete(f"{APPS}/user-profile").status_code == 409


@pytest.mark.parametrize(
    "home_url",
    [
        "https://exa mple.com/",  # a browser sent there lands on an error page
        "https://app.example/<script>",
        "https://trusted.example@elsewhere.example/",
        "https://-app.example/",
        "https://app.example:70000/",
        "https://[::1",  # the URL parser's own error: was a 500
        "http://[v1.fe]/",  # brackets hold an IPv6 address only
    ],
)
def test_an_application_home_url_a_browser_cannot_follow_is_refused(
    admin: httpx.Client, home_url: str
) -> None:
    """Users are sent to the home URL after signing in: it must be an address as it stands."""
    added = admin.post(APPS, json={"name": "Travel", "home_url": home_url})
    assert added.status_code == 422
    assert added.json()["detail"]["field"] == "home_url"
    assert [a["name"] for a in admin.get(APPS).json()["applications"]] == ["User Profile"]
    fine = admin.post(APPS, json={"name": "Travel", "home_url": "https://bücher.example:8443/a"})
    assert fine.status_code == 201, fine.text


@pytest.mark.parametrize(
    ("name", "upper", "lower"),
    [("Travel", "TRAVEL", "travel"), ("Äpp Maße", "ÄPP MASSE", "äpp masse")],
)
def test_an_application_name_is_kept_once_by_the_database(
    admin: httpx.Client, monkeypatch: pytest.MonkeyPatch, name: str, upper: str, lower: str
) -> None:
    """Two requests at once both pass the service's check: the unique index refuses the
    second, added or renamed, in any letter case, with the check's answer (422 naming the
    field), not a 500."""

    monkeypatch.setattr(application_service, "_check_name_free", name_check_passes)
    first = admin.post(APPS, json={"name": name, "home_url": "https://travel.example/"})
    added = admin.post(APPS, json={"name": upper, "home_url": "https://other.example/"})
    other = admin.post(APPS, json={"name": "Wiki", "home_url": "https://wiki.example/"})
    renamed = admin.put(f"{APPS}/{other.json()['id']}", json={"name": lower})
    names = [a["name"] for a in admin.get(APPS).json()["applications"]]
    assert first.status_code == 201 and other.status_code == 201
    taken = {"field": "name", "message": "An application with this name already exists."}
    assert (added.status_code, added.json()["detail"]) == (422, taken)
    assert (renamed.status_code, renamed.json()["detail"]) == (422, taken)
    assert names == ["User Profile", name, "Wiki"]


def test_an_application_name_beyond_ascii_is_taken_in_either_case(admin: httpx.Client) -> None:
    """Letters beyond ASCII have cases too: "äpp" is "ÄPP" and "MASSE" is "Maße" (case
    folding), added or renamed; the answer is the one ASCII names get."""
    for name in ("ÄPP", "Maße"):
        added = admin.post(APPS, json={"name": name, "home_url": "https://app.example/"})
        assert added.status_code == 201
    other = admin.post(APPS, json={"name": "Wiki", "home_url": "https://wiki.example/"})
    again = admin.post(APPS, json={"name": "äpp", "home_url": "https://other.example/"})
    renamed = admin.put(f"{APPS}/{other.json()['id']}", json={"name": "MASSE"})
    names = [a["name"] for a in admin.get(APPS).json()["applications"]]
    taken = {"field": "name", "message": "An application with this name already exists."}
    assert (again.status_code, again.json()["detail"]) == (422, taken)
    assert (renamed.status_code, renamed.json()["detail"]) == (422, taken)
    assert names == ["User Profile", "ÄPP", "Maße", "Wiki"]


def test_test_of_one_template_arrives_with_sample_values(
    demo: LiveServer, admin: httpx.Client
) -> None:
    """POST .../test queues the template with sample values through the outbox."""
    set_id = new_set(admin)
    admin.put(f"{SETS}/{set_id}/templates/forgot-password/de", json=GERMAN)
    sent = admin.post(
        f"{SETS}/{set_id}/templates/forgot-password/de/test", json={"to": "qa@demo.test"}
    )
    assert sent.status_code == 202 and sent.json()["status"] == "queued"
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["qa@demo.test"])
    assert mail.subject == "Passwort vergessen, Alex?"
    assert "reset-password?token=sample-link-not-valid" in mail.text
    # In the delivery log it is the template's test, not a user's reset.
    admin.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})
    found = {}
    for who in ("qa@", "jane@"):
        [listed] = admin.get("/admin/api/v1/messages", params={"recipient": who}).json()["messages"]
        found[who] = admin.get(f"/admin/api/v1/messages/{listed['id']}").json()
    assert [(m["process"], m["template_test"]) for m in found.values()] == [
        ("forgot-password", True),
        ("forgot-password", False),
    ]
