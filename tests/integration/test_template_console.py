"""Console pages of issue 6: E-Mail Template Sets (create, edit in the page or by upload,
preview, test, rename, delete), Applications, and the Self-Registration and Security Alerts
switches; their authorizations and CSRF tokens."""

from __future__ import annotations

import concurrent.futures
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gatehouse.accounts.authorizations import Authorization
from gatehouse.applications import service as application_service
from gatehouse.mail.templates import sets as template_sets
from gatehouse.mail.templates.threads import THREAD_NAME_PREFIX
from gatehouse.processes.settings import get_settings
from gatehouse.web.console import email_templates
from tests.support.accounts import add_user, sign_in
from tests.support.live import LiveServer
from tests.support.pages import csrf_token
from tests.support.races import name_check_passes

SETS = "/admin/email-template-sets"
LINK = "${user.reset_password_link}"


@pytest.fixture
def console(demo: LiveServer) -> Iterator[httpx.Client]:
    """The demo administrator (all authorizations), signed in."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        yield client


def create_set(console: httpx.Client, name: str = "Corporate") -> str:
    page = console.get(SETS)
    created = console.post(SETS, data={"name": name, "csrf_token": csrf_token(page)})
    assert created.status_code == 303, created.text
    match = re.fullmatch(rf"{SETS}/(\w+)\?msg=set-created", created.headers["location"])
    assert match
    return match.group(1)


def template_form(console: httpx.Client, path: str, **values: str) -> dict[str, str]:
    page = console.get(path)
    return {"csrf_token": csrf_token(page), "action": "save", **values}


def test_tiles_and_tenant_settings_items(console: httpx.Client) -> None:
    """Home shows Applications and E-Mail Template Sets; Tenant Settings lists the switches."""
    home = console.get("/admin").text
    settings = console.get("/admin/tenant-settings").text
    assert 'href="/admin/applications"' in home and 'href="/admin/email-template-sets"' in home
    for href in ("email-template-sets", "self-registration", "security-alerts"):
        assert href in settings


def test_authorizations_on_direct_urls(demo: LiveServer) -> None:
    """Templates need Manage Tenant Configuration, applications Manage Applications."""
    add_user(
        demo,
        "apps@demo.test",
        authorizations=frozenset({Authorization.MANAGE_APPLICATIONS}),
    )
    with demo.client() as client:
        sign_in(client, "apps@demo.test", "User-Pass-123")
        home = client.get("/admin").text
        assert "/admin/applications" in home and "/admin/email-template-sets" not in home
        assert client.get(SETS).status_code == 403
        assert client.get(f"{SETS}/default/templates/forgot-password/en").status_code == 403
        assert client.get("/admin/tenant-settings/security-alerts").status_code == 403
        page = client.get("/admin/applications/user-profile")
        assert page.status_code == 200
        assert "/admin/email-template-sets" not in page.text  # no link it could not open


def test_create_set_shows_the_grid(console: httpx.Client) -> None:
    """A new set is a copy of Default: every type and language can be edited."""
    set_id = create_set(console)
    page = console.get(f"{SETS}/{set_id}?msg=set-created")
    assert "Template set created as a copy of Default." in page.text
    assert page.text.count(">Edit</a>") == 72
    assert "No application yet" in page.text
    assert f"{SETS}/{set_id}/templates/email-otp/zh" in page.text


def test_save_refuses_bad_template_with_position_and_keeps_the_old(
    console: httpx.Client,
) -> None:
    """${user.password} is refused with part, line and column; the stored one is unchanged."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/de"
    before = console.get(path).text
    form = template_form(
        console, path, subject="Hallo", text="Hallo\n${user.password} " + LINK, html=LINK
    )
    refused = console.post(path, data=form)
    assert refused.status_code == 422
    assert "The template was not saved." in refused.text
    assert (
        "Text body, line 2, column 3: user.password is not a placeholder of the Forgot Password "
        "template."
    ) in refused.text
    assert "${user.password}" in refused.text  # what was typed stays in the form
    marked = 'aria-invalid="true" aria-describedby="problems"'  # the part in error only
    assert f'<textarea id="text" name="text" {marked} rows="14"' in refused.text
    assert refused.text.count(marked) == 1
    assert console.get(path).text == before


def test_preview_renders_sample_values_without_saving(console: httpx.Client) -> None:
    """Preview shows subject, text and HTML with sample values and stores nothing."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/de"
    form = template_form(
        console,
        path,
        action="preview",
        subject="Hallo ${user.firstName}",
        text="Link: " + LINK,
        html="<b>${user.firstName}</b> " + LINK,
    )
    preview = console.post(path, data=form)
    assert preview.status_code == 200
    assert 'id="preview-subject">Hallo Alex<' in preview.text
    assert "Link: http://demo.localhost:" in preview.text
    assert 'srcdoc="&lt;b&gt;Alex&lt;/b&gt; http://demo.localhost:' in preview.text
    assert "(unsaved)" in preview.text
    assert "Setzen Sie Ihr Passwort" in console.get(path).text  # still the copy of Default


def test_preview_of_a_comparison_of_text_with_a_number_says_why(console: httpx.Client) -> None:
    """A template that passes the checks but fails on its values' types previews as the
    reason, as any template that cannot render does (before, a 500 page)."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/en"
    text = "{% if user.firstName < 1 %}x{% endif %}" + LINK
    form = template_form(console, path, action="preview", subject="S", text=text, html=LINK)
    preview = console.post(path, data=form)
    assert preview.status_code == 200
    assert (
        "The template could not be rendered: &#39;&lt;&#39; not supported between instances of "
        "&#39;str&#39; and &#39;int&#39;" in preview.text
    )


def test_save_and_upload_files(console: httpx.Client) -> None:
    """Saving in the page works; uploaded UTF-8 files replace the typed bodies."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/de"
    form = template_form(console, path, subject="Neu", text="typed " + LINK, html="typed " + LINK)
    text_file = "Grüße ${user.firstName}\r\n" + LINK
    saved = console.post(
        path,
        data=form,
        files={
            "text_file": ("body.txt", ("\ufeff" + text_file).encode(), "text/plain"),
            "html_file": ("body.html", f"<p>Grüße</p>{LINK}".encode(), "text/html"),
        },
    )
    assert saved.headers["location"] == f"{path}?msg=template-saved"
    page = console.get(saved.headers["location"]).text
    assert "Template saved." in page
    assert "Grüße ${user.firstName}\n${user.reset_password_link}</textarea>" in page
    assert "&lt;p&gt;Grüße&lt;/p&gt;${user.reset_password_link}</textarea>" in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            ("latin1.txt", "Grüße".encode("latin-1"), "text/plain"),
            "The file latin1.txt is not UTF-8 text.",
        ),
        (
            ("big.txt", b"x" * (256 * 1024 + 1), "text/plain"),
            "The file big.txt is larger than 256 KB.",
        ),
        (  # as Windows Notepad saves "Unicode": NUL bytes in it were a bare "400 Bad Request"
            ("notepad.txt", f"Hi {LINK}".encode("utf-16"), "text/plain"),
            "The file notepad.txt is not UTF-8 text.",
        ),
        (
            ("no-bom.txt", f"Hi {LINK}".encode("utf-16-le"), "text/plain"),
            "The file no-bom.txt is not UTF-8 text.",
        ),
    ],
)
def test_bad_upload_is_refused(
    console: httpx.Client, upload: tuple[str, bytes, str], message: str
) -> None:
    """A file that is not UTF-8 (UTF-16 too) or too large is refused by name on the page, which
    keeps what was typed; nothing is stored."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/en"
    form = template_form(console, path, subject="S", text=LINK, html=LINK)
    form["subject"] = "Typed subject"
    refused = console.post(path, data=form, files={"text_file": upload})
    assert refused.status_code == 422 and message in refused.text
    assert 'value="Typed subject"' in refused.text


def test_default_set_is_shown_read_only(console: httpx.Client) -> None:
    """Default's templates are readable with a preview, and cannot be posted to."""
    path = f"{SETS}/default/templates/email-otp/ja"
    page = console.get(path)
    assert page.status_code == 200
    assert "<textarea" not in page.text
    assert "The Default set is built in and cannot be changed." in page.text
    assert 'id="preview-subject">Demo Tenant のログイン確認コード<' in page.text
    posted = console.post(path, data=template_form(console, path, subject="x", text="x", html="x"))
    assert posted.status_code == 409


def test_test_email_of_one_template(demo: LiveServer, console: httpx.Client) -> None:
    """Send Test E-Mail queues the template through the outbox; the page shows the outcome."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/invitation/es"
    page = console.get(path)
    sent = console.post(f"{path}/test", data={"to": "qa@demo.test", "csrf_token": csrf_token(page)})
    assert sent.status_code == 303 and "?test=" in sent.headers["location"]
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["qa@demo.test"])
    assert mail.subject == "Ada Admin le ha invitado a Demo Tenant"
    deadline = time.monotonic() + 15  # the worker records the outcome just after sending
    while "Test e-mail sent to qa@demo.test." not in (
        outcome := console.get(sent.headers["location"]).text
    ):
        assert time.monotonic() < deadline, outcome
        time.sleep(0.1)
    listing = console.get("/admin/tenant-settings/mail-delivery").text
    assert '<td class="process" data-label="Process">Invitation (template test)</td>' in listing


@pytest.mark.parametrize(
    "path",
    [f"{SETS}/default/templates/invitation/es", "/admin/tenant-settings/mail-server"],
    ids=["template", "mail-server"],
)
def test_a_refused_test_address_stays_in_the_field(console: httpx.Client, path: str) -> None:
    """After "To: not a valid address", the field holds what was typed, marked, so a second
    click does not send the test to the administrator instead."""
    action = f"{path}/test" if "templates" in path else f"{path}/test-email"
    page = console.get(path)
    refused = console.post(action, data={"to": "jane@demo", "csrf_token": csrf_token(page)})
    assert refused.status_code == 422
    assert "To: " in refused.text
    field = re.search(r'<input id="to"[^>]*>', refused.text)
    assert field is not None
    assert 'value="jane@demo"' in field.group(0) and 'aria-invalid="true"' in field.group(0)
    assert 'value="admin@demo.test"' in re.search(r'<input id="to"[^>]*>', page.text).group(0)
    # The reason stands once, in the test's card, where the page opens (not at its top).
    card = refused.text.split("<h2>Send Test E-Mail</h2>")[1].split("</section>")[0]
    assert refused.text.count('id="page-error"') == 1
    assert 'role="alert" id="page-error" tabindex="-1" autofocus>To: ' in card


def test_delete_template_falls_back(console: httpx.Client) -> None:
    """Deleting a language leaves a dash in the grid; the page says what is used instead."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/locked-password/it"
    page = console.get(path)
    english = console.get(f"{SETS}/{set_id}/templates/locked-password/en")
    deleted = console.post(f"{path}/delete", data={"csrf_token": csrf_token(page)})
    assert deleted.headers["location"] == f"{SETS}/{set_id}?msg=template-deleted"
    fallback = "Without its own template, the set's Locked Password e-mails in"
    assert f"{fallback} Italiano fall back to the set's English one, then the Default set's." in (
        page.text
    )
    assert f"{fallback} English fall back to the Default set's." in english.text
    assert console.get(f"{SETS}/{set_id}").text.count(">Edit</a>") == 71
    assert (
        "The set has no template for Italiano: its e-mails use the Corporate set's template in "
        "English"
    ) in console.get(path).text
    # The same Delete sent again from a stale page deletes nothing and says so.
    again = console.post(f"{path}/delete", data={"csrf_token": csrf_token(page)})
    assert again.headers["location"] == f"{SETS}/{set_id}?msg=template-already-deleted"
    assert "it was deleted already." in console.get(again.headers["location"]).text


def test_set_in_use_cannot_be_deleted_then_can(console: httpx.Client) -> None:
    """Assigned to User Profile, the delete button is disabled; unassigned, it deletes."""
    set_id = create_set(console)
    app_page = console.get("/admin/applications/user-profile")
    console.post(
        "/admin/applications/user-profile",
        data={"template_set_id": set_id, "csrf_token": csrf_token(app_page)},
    )
    page = console.get(f"{SETS}/{set_id}").text
    assert "The set is used by User Profile" in page and "disabled>Delete Template Set" in page
    refused = console.post(f"{SETS}/{set_id}/delete", data={"csrf_token": csrf_token(app_page)})
    assert refused.status_code == 409
    assert "The set is used by User Profile. Assign another set to it first." in refused.text
    console.post(
        "/admin/applications/user-profile",
        data={"template_set_id": "default", "csrf_token": csrf_token(app_page)},
    )
    confirm = console.get(f"{SETS}/{set_id}?confirm=delete").text
    assert "Yes, delete the set" in confirm
    done = console.post(f"{SETS}/{set_id}/delete", data={"csrf_token": csrf_token(app_page)})
    assert done.headers["location"] == f"{SETS}?msg=set-deleted"
    assert console.get(f"{SETS}/{set_id}").status_code == 404


def test_the_sets_change_log_names_sets_and_parts(console: httpx.Client) -> None:
    """The sets' change log names the set by its name and the template's parts as the page
    does, not by ID and key."""
    set_id = create_set(console, "Corporate")
    path = f"{SETS}/{set_id}/templates/forgot-password/de"
    text = "Hallo ${user.firstName}, " + LINK
    form = template_form(console, path, subject="Passwort vergessen?", text=text, html=LINK)
    assert console.post(path, data=form).status_code == 303
    gone_id = create_set(console, "Short Lived")
    page = console.get(f"{SETS}/{gone_id}")
    deleted = console.post(f"{SETS}/{gone_id}/delete", data={"csrf_token": csrf_token(page)})
    assert deleted.status_code == 303
    log = console.get(SETS).text.split("Change log")[1]
    assert "<td>Set = Short Lived, Name = Short Lived</td>" in log  # deleted: still named
    assert gone_id not in log
    assert "<td>Set = Corporate, Name = Corporate</td>" in log
    assert (
        "Set = Corporate, Template = Forgot Password (Deutsch), Subject = Passwort vergessen?, "
        f"Text body = {len(text)} characters, HTML body = {len(LINK)} characters"
    ) in log
    assert set_id not in log and "<code>" not in log


@pytest.mark.parametrize(
    ("name", "upper", "lower"),
    [("Corporate", "CORPORATE", "corporate"), ("Café Straße", "CAFÉ STRASSE", "café strasse")],
)
def test_a_set_name_taken_meanwhile_is_refused_on_the_page(
    console: httpx.Client, monkeypatch: pytest.MonkeyPatch, name: str, upper: str, lower: str
) -> None:
    """Created or renamed while another request took the name in other letter case (both
    passed the service's check): the unique index refuses it with the check's message."""

    async def only_tidied(_session: object, _tenant: str, value: str, **_: object) -> str:
        return " ".join(value.split())

    create_set(console, name)
    other_id = create_set(console, "Other")
    monkeypatch.setattr(template_sets, "_valid_name", only_tidied)
    page = console.get(SETS)
    again = console.post(SETS, data={"name": upper, "csrf_token": csrf_token(page)})
    renamed = console.post(
        f"{SETS}/{other_id}/rename", data={"name": lower, "csrf_token": csrf_token(page)}
    )
    listing = console.get(SETS).text
    for refused in (again, renamed):
        assert refused.status_code == 422
        assert "A template set with this name already exists." in refused.text
    assert "<h1>Other</h1>" in renamed.text  # the set's page, as it still is
    assert f">{upper}<" not in listing and f">{lower}<" not in listing and ">Other<" in listing


def test_a_set_name_beyond_ascii_is_taken_in_either_case(console: httpx.Client) -> None:
    """Letters beyond ASCII have cases too: "CAFÉ ÜNÏCODE" is "Café ünïcode" and "STRASSE" is
    "Straße" (case folding), created or renamed; the page says so as for ASCII names."""
    create_set(console, "Café ünïcode")
    create_set(console, "Straße")
    other_id = create_set(console, "Other")
    page = console.get(SETS)
    again = console.post(SETS, data={"name": "CAFÉ ÜNÏCODE", "csrf_token": csrf_token(page)})
    renamed = console.post(
        f"{SETS}/{other_id}/rename", data={"name": "STRASSE", "csrf_token": csrf_token(page)}
    )
    listing = console.get(SETS).text
    for refused in (again, renamed):
        assert refused.status_code == 422
        assert "A template set with this name already exists." in refused.text
    assert ">CAFÉ ÜNÏCODE<" not in listing and ">STRASSE<" not in listing
    assert ">Café ünïcode<" in listing and ">Straße<" in listing and ">Other<" in listing


def test_a_refused_application_page_keeps_every_choice(
    console: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save refused at the write (a name another request took meanwhile) shows what was
    sent (name, URL, set, e-mail code) and stores none of it; a set that is not offered (gone
    meanwhile) leaves the stored one selected."""

    set_id = create_set(console, "Travel mails")
    page = console.get("/admin/applications")
    token = csrf_token(page)
    for name in ("Travel", "Wiki"):
        data = {"name": name, "home_url": f"https://{name}.example/", "csrf_token": token}
        added = console.post("/admin/applications", data=data)
    wiki_path = added.headers["location"].split("?")[0]
    monkeypatch.setattr(application_service, "_check_name_free", name_check_passes)
    sent = {
        "name": "travel",
        "home_url": "https://new.example/",
        "template_set_id": set_id,
        "email_otp": "on",
        "csrf_token": token,
    }
    refused = console.post(wiki_path, data=sent)
    unknown = console.post(wiki_path, data={**sent, "name": "Wiki", "template_set_id": "gone"})
    stored = console.get(wiki_path).text
    assert refused.status_code == unknown.status_code == 422
    assert 'value="travel"' in refused.text and 'value="https://new.example/"' in refused.text
    assert f'value="{set_id}" selected' in refused.text
    assert 'name="email_otp" checked' in refused.text
    assert 'value="default" selected' in unknown.text  # the stored set, not the browser's pick
    assert 'value="Wiki"' in stored and 'value="https://Wiki.example/"' in stored
    assert f'value="{set_id}" selected' not in stored and 'name="email_otp" checked' not in stored


def test_rename_set(console: httpx.Client) -> None:
    """Renaming shows the new name; a taken name is refused."""
    set_id = create_set(console, "First")
    create_set(console, "Second")
    page = console.get(f"{SETS}/{set_id}")
    taken = console.post(
        f"{SETS}/{set_id}/rename", data={"name": "second", "csrf_token": csrf_token(page)}
    )
    assert (
        taken.status_code == 422 and "A template set with this name already exists." in taken.text
    )
    assert (  # the field keeps what was typed, marked as in error
        'name="name" aria-invalid="true" aria-describedby="page-error" type="text" required '
        'maxlength="64" value="second"'
    ) in taken.text
    renamed = console.post(
        f"{SETS}/{set_id}/rename", data={"name": "Premier", "csrf_token": csrf_token(page)}
    )
    assert "<h1>Premier</h1>" in console.get(renamed.headers["location"]).text
    same = console.post(
        f"{SETS}/{set_id}/rename", data={"name": "Premier", "csrf_token": csrf_token(page)}
    )
    assert same.headers["location"] == f"{SETS}/{set_id}"  # nothing renamed, nothing said


def test_forms_need_csrf_token(console: httpx.Client) -> None:
    """Creating a set or saving a template without the CSRF token is refused."""
    assert console.post(SETS, data={"name": "No token"}).status_code == 403
    path = f"{SETS}/default/templates/forgot-password/en"
    assert console.post(path, data={"subject": "x", "text": "x", "html": "x"}).status_code == 403
    assert console.post("/admin/applications", data={"name": "x"}).status_code == 403


def test_applications_page_adds_and_configures(console: httpx.Client) -> None:
    """Add Travel, assign a set and the e-mail code; the list shows both; bad URL refused."""
    set_id = create_set(console, "Travel mails")
    page = console.get("/admin/applications")
    bad = console.post(
        "/admin/applications",
        data={"name": "X", "home_url": "ftp://x", "csrf_token": csrf_token(page)},
    )
    assert bad.status_code == 422 and "The home URL must be an http:// or https://" in bad.text
    added = console.post(
        "/admin/applications",
        data={
            "name": "Travel",
            "home_url": "https://travel.example/",
            "csrf_token": csrf_token(page),
        },
    )
    detail_path = added.headers["location"].split("?")[0]
    saved = console.post(
        detail_path,
        data={
            "name": "Travel",
            "home_url": "https://travel.example/",
            "template_set_id": set_id,
            "email_otp": "on",
            "csrf_token": csrf_token(page),
        },
    )
    assert saved.headers["location"] == f"{detail_path}?msg=application-saved"
    detail = console.get(saved.headers["location"]).text
    assert "Application saved." in detail and f'value="{set_id}" selected' in detail
    log = detail.split("Change log")[1]  # named as the page names them, no IDs or keys
    assert "E-Mail Code = on" in log and "Template Set = Travel mails" in log
    assert "Name = Travel, Home URL = https://travel.example/" in log
    assert set_id not in log and "template_set" not in log and "<code>" not in log
    app_id = detail_path.rsplit("/", 1)[1]
    assert f"/?app={app_id}</a>" in detail
    listing = console.get("/admin/applications").text
    assert "Travel mails" in listing and "E-mail code" in listing


@pytest.mark.parametrize(
    ("page", "switch", "label"),
    [
        ("self-registration", "self_registration", "Allow self-registration on the logon page"),
        ("security-alerts", "alert_password_changed", "Password changed"),
        ("security-alerts", "alert_email_changed", "E-mail address changed"),
    ],
)
def test_switches_are_off_by_default_and_saved(
    demo: LiveServer, console: httpx.Client, page: str, switch: str, label: str
) -> None:
    """Each switch starts off, turns on with the form, and the change log shows it by the
    name the page gives it."""
    path = f"/admin/tenant-settings/{page}"
    form = console.get(path)
    assert f'name="{switch}" id="{switch}" >' in form.text  # unchecked
    saved = console.post(path, data={switch: "on", "csrf_token": csrf_token(form)})
    assert saved.headers["location"] == f"{path}?msg=switches-saved"
    after = console.get(saved.headers["location"]).text
    assert f'name="{switch}" id="{switch}" checked>' in after
    assert f"<td>{label} = on</td>" in after and f"<code>{switch}</code>" not in after

    async def current(runtime: Any) -> bool:
        async with runtime.sessions() as session:
            return bool(getattr(await get_settings(session, "demo"), switch))

    assert demo.run(current) is True


def test_a_stale_page_saves_only_the_switch_turned_on_it(console: httpx.Client) -> None:
    """Two tabs of Security Alerts: A turns on "E-mail address changed", then B (loaded
    before) turns on "Password changed". B's save keeps A's change instead of turning it
    back off; a box left as it was shown changes nothing."""
    path = "/admin/tenant-settings/security-alerts"
    tab_a, tab_b = console.get(path), console.get(path)

    def shown(page: httpx.Response) -> dict[str, str]:
        found = re.findall(r'name="(shown\.[a-z_]+)" value="(on|off)"', page.text)
        return dict(found) | {"csrf_token": csrf_token(page)}

    console.post(path, data=shown(tab_a) | {"alert_email_changed": "on"})
    saved = console.post(path, data=shown(tab_b) | {"alert_password_changed": "on"})
    after = console.get(saved.headers["location"]).text
    assert 'name="alert_email_changed" id="alert_email_changed" checked>' in after
    assert 'name="alert_password_changed" id="alert_password_changed" checked>' in after
    assert "<td>Password changed = on</td>" in after  # B's entry names only its own change
    both = {"alert_email_changed": "on", "alert_password_changed": "on"}
    unchanged = console.post(path, data=shown(console.get(path)) | both)
    assert unchanged.status_code == 303
    assert console.get(path).text.count("</td></tr>") == 2  # no third entry


def test_application_cannot_get_another_tenants_set(
    demo: LiveServer, console: httpx.Client
) -> None:
    """Assigning a set ID of another tenant is refused like an unknown one, and nothing changes."""

    async def other_set(runtime: Any) -> str:
        from gatehouse.mail.templates.sets import create_set as make_set
        from gatehouse.processes.onboarding import onboard_tenant

        async with runtime.sessions.begin() as session:
            await onboard_tenant(
                session,
                settings=demo.settings,
                display_name="Other",
                admin_email="o@other.test",
                tenant_id="other",
                admin_password="Other-Admin-1",
            )
            created = await make_set(session, tenant_id="other", name="Theirs", actor="test")
            return created.id

    theirs = demo.run(other_set)
    page = console.get("/admin/applications/user-profile")
    refused = console.post(
        "/admin/applications/user-profile",
        data={"template_set_id": theirs, "csrf_token": csrf_token(page)},
    )
    assert refused.status_code == 422
    assert "There is no template set with this ID." in refused.text
    assert 'value="default" selected' in console.get("/admin/applications/user-profile").text


def test_an_application_name_taken_meanwhile_is_refused_on_the_page(
    console: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Added or renamed while another request took the name (both passed the service's check):
    the page says so, as the check would, with nothing changed."""

    monkeypatch.setattr(application_service, "_check_name_free", name_check_passes)
    page = console.get("/admin/applications")
    token = csrf_token(page)
    travel = {"home_url": "https://travel.example/", "csrf_token": token}
    assert console.post("/admin/applications", data={"name": "Travel", **travel}).status_code == 303
    again = console.post("/admin/applications", data={"name": "Travel", **travel})
    wiki = console.post(
        "/admin/applications",
        data={"name": "Wiki", "home_url": "https://wiki.example/", "csrf_token": token},
    )
    wiki_path = wiki.headers["location"].split("?")[0]
    renamed = console.post(
        wiki_path,
        data={"name": "Travel", "home_url": "https://wiki.example/", "csrf_token": token},
    )
    listing = console.get("/admin/applications").text
    for refused in (again, renamed):
        assert refused.status_code == 422
        assert "An application with this name already exists." in refused.text
    assert "<h1>Wiki</h1>" in renamed.text  # the page of the application as it still is
    for refused in (again, renamed):  # the field keeps what was typed, marked as in error
        assert (
            'name="name" aria-invalid="true" aria-describedby="page-error" type="text" required '
            'maxlength="100" value="Travel"'
        ) in refused.text
    assert listing.count(">Travel<") == listing.count(">Wiki<") == 1


def test_template_breadcrumb_names_the_language_as_the_heading_does(
    console: httpx.Client,
) -> None:
    """The breadcrumb ends with "Forgot Password · Deutsch", as the heading reads; it said
    "Forgot Password (de)"."""
    set_id = create_set(console, "Travel Mails")
    page = console.get(f"{SETS}/{set_id}/templates/forgot-password/de").text
    crumbs = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', page, re.S)
    assert crumbs is not None
    items = re.findall(r"<(?:a|span)(?: href=[^>]*)?>([^<]*)</(?:a|span)>", crumbs.group(1))
    assert items == ["Home", "E-Mail Template Sets", "Travel Mails", "Forgot Password · Deutsch"]
    assert '<h1>Forgot Password <span class="muted">· Deutsch</span></h1>' in page


def test_an_unclosed_tag_is_explained_without_jinja(console: httpx.Client) -> None:
    """Preview of a template whose {% if %} is never closed names the tag to add, where the
    tag opens; the page said "Jinja was looking for the following tags: ..."."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/en"
    text = LINK + "\n{% if user.firstName %}Hello ${user.firstName}"
    form = template_form(console, path, action="preview", subject="S", text=text, html=LINK)
    refused = console.post(path, data=form)
    assert refused.status_code == 422
    assert "The template cannot be previewed." in refused.text
    assert (
        "<li>Text body, line 2, column 1: Syntax error: {% if %} is not closed; add {% endif %} "
        "where it ends.</li>"
    ) in refused.text
    assert "Jinja" not in refused.text


def test_templates_are_checked_and_previewed_off_the_event_loop(
    console: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checking and rendering a dense template of 100,000 characters takes most of a second:
    done on the event loop, every request of the process (every tenant's) would wait for it."""
    on_loop: list[tuple[str, bool]] = []

    def recorded(name: str, function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            # A template thread of its own, not the default pool (name lookups wait there).
            thread = threading.current_thread().name
            on_loop.append((name, not thread.startswith(THREAD_NAME_PREFIX)))
            return function(*args, **kwargs)

        return call

    for module, name in (
        (email_templates, "check_template"),
        (email_templates, "render_email"),
        (template_sets, "check_template"),
    ):
        monkeypatch.setattr(module, name, recorded(name, getattr(module, name)))
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/de"
    values = {"subject": "Hallo", "text": "Link: " + LINK, "html": LINK}
    preview = console.post(path, data=template_form(console, path, action="preview", **values))
    assert preview.status_code == 200 and "Link: http://demo.localhost:" in preview.text
    saved = console.post(path, data=template_form(console, path, **values))
    assert saved.status_code == 303, saved.text
    assert {name for name, _ in on_loop} == {"check_template", "render_email"}
    assert [name for name, loop in on_loop if loop] == []


def test_two_saves_at_once_of_a_template_the_set_lacks_both_save(
    demo: LiveServer, console: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double-clicked Save of a deleted template: both requests pass the check (held there
    until both have), then the second waits for the first's row and updates it; it was a 500
    (the second insert of the same template)."""
    set_id = create_set(console)
    path = f"{SETS}/{set_id}/templates/forgot-password/it"
    deleted = console.post(f"{path}/delete", data={"csrf_token": csrf_token(console.get(path))})
    assert deleted.status_code == 303
    both_checked = threading.Barrier(2, timeout=10)
    checked = template_sets.check_template

    def held(*args: Any, **kwargs: Any) -> None:
        checked(*args, **kwargs)
        both_checked.wait()

    monkeypatch.setattr(template_sets, "check_template", held)
    values = {"subject": "Gesperrt", "text": "Testo " + LINK, "html": "<p>Testo</p> " + LINK}
    with demo.client() as other:
        sign_in(other, "admin@demo.test")
        forms = [(client, template_form(client, path, **values)) for client in (console, other)]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            saves = list(pool.map(lambda pair: pair[0].post(path, data=pair[1]), forms))
    assert [save.status_code for save in saves] == [303, 303], [s.text[:200] for s in saves]
    assert "Gesperrt" in console.get(path).text
