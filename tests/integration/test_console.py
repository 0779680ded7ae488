"""Console shell: sign-in, tiles by authorization, 403 on direct URLs, revocable sessions."""

from __future__ import annotations

import httpx
import pytest

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.users import create_user, set_authorizations
from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, post_form

READER_PASSWORD = "Reader-Pass-1"


def sign_in(client: httpx.Client, identifier: str, password: str) -> httpx.Response:
    return post_form(client, "/admin/signin", {"identifier": identifier, "password": password})


@pytest.fixture
def reader(demo: LiveServer) -> str:
    """An administrator of the demo tenant holding only Read Users."""

    async def seed(runtime: object) -> None:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            user = await create_user(
                session, tenant_id="demo", email="reader@demo.test", password=READER_PASSWORD
            )
            await set_authorizations(
                session, "demo", user.id, frozenset({Authorization.READ_USERS})
            )

    demo.run(seed)
    return "reader@demo.test"


def test_admin_signs_in_and_sees_grouped_tiles(demo: LiveServer) -> None:
    """The demo administrator lands on the home page with the Tenant Settings tile."""
    with demo.client() as client:
        response = sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        assert response.status_code == 303 and response.headers["location"] == "/admin"
        home = client.get("/admin")
    assert "Applications and Resources" in home.text
    assert 'href="/admin/tenant-settings"' in home.text


def test_session_cookie_flags(demo: LiveServer) -> None:
    """The console session cookie is HttpOnly, SameSite=Lax and scoped to /admin."""
    with demo.client() as client:
        response = sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("gh_admin=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http in tests; Secure is set under https


def test_session_cookie_is_secure_under_https(demo: LiveServer) -> None:
    """Behind a TLS-terminating proxy (X-Forwarded-Proto: https) the cookie is Secure."""
    with demo.client(headers={"x-forwarded-proto": "https"}) as client:
        page = client.get("/admin/signin")
        token = csrf_token(page)
        csrf_cookie = page.headers["set-cookie"].split(";")[0]
        # httpx keeps Secure cookies off plain http, so the test sends the CSRF cookie itself.
        response = client.post(
            "/admin/signin",
            data={
                "identifier": "admin@demo.test",
                "password": DEMO_ADMIN_PASSWORD,
                "csrf_token": token,
            },
            headers={"cookie": csrf_cookie},
        )
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("gh_admin=")
    )
    assert "Secure" in cookie


def test_wrong_password_is_refused(demo: LiveServer) -> None:
    """A wrong password gets the sign-in page again with one message, and no session."""
    with demo.client() as client:
        response = sign_in(client, "admin@demo.test", "Wrong-Pass-1")
        home = client.get("/admin")
    assert response.status_code == 401
    assert (
        "The e-mail, login name or password is not correct, or you are not an administrator."
        in response.text
    )
    assert home.status_code == 303 and home.headers["location"] == "/admin/signin"


def test_plain_user_cannot_sign_in_to_console(demo: LiveServer) -> None:
    """Jane has no authorization: her correct password does not open the console."""
    with demo.client() as client:
        response = sign_in(client, "jane@demo.test", "Demo-Jane-2026")
    assert response.status_code == 401


def test_tiles_and_direct_urls_follow_authorizations(reader: str, demo: LiveServer) -> None:
    """Without Manage Tenant Configuration there is no Tenant Settings tile and the URL is 403,
    naming the authorization to ask for."""
    with demo.client() as client:
        sign_in(client, reader, READER_PASSWORD)
        home = client.get("/admin")
        settings = client.get("/admin/tenant-settings")
    assert home.status_code == 200 and "tenant-settings" not in home.text
    assert settings.status_code == 403
    assert (
        "You do not have the authorization this page needs: Manage Tenant Configuration."
        in settings.text
    )


def test_tenant_settings_shows_administrative_information(demo: LiveServer) -> None:
    """Tenant Settings shows ID, display name, region, licence type and creation date."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        page = client.get("/admin/tenant-settings")
    for text in (
        "Tenant ID",
        "<code>demo</code>",
        "Demo Tenant",
        "Region",
        "Licence type",
        "Test",
        "Created",
        "External Services",
    ):
        assert text in page.text


def test_sign_out_revokes_the_session(demo: LiveServer) -> None:
    """After sign-out the old session cookie no longer opens the console."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        old_cookie = client.cookies.get("gh_admin")
        page = client.get("/admin")
        response = client.post("/admin/signout", data={"csrf_token": csrf_token(page)})
        assert response.status_code == 303
    with demo.client(cookies={"gh_admin": old_cookie or ""}) as replay:
        again = replay.get("/admin")
    assert again.status_code == 303 and again.headers["location"] == "/admin/signin"


def test_session_of_one_tenant_is_useless_on_another(demo: LiveServer) -> None:
    """A demo console cookie sent to another tenant's host is not a session there."""

    async def seed(runtime: object) -> None:
        from gatehouse.processes.onboarding import onboard_tenant

        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            await onboard_tenant(
                session,
                settings=demo.settings,
                display_name="Other",
                admin_email="o@other.test",
                tenant_id="other",
                admin_password="Other-Admin-1",
            )

    demo.run(seed)
    with demo.client() as client:
        sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        cookie = client.cookies.get("gh_admin") or ""
    with demo.client("other", cookies={"gh_admin": cookie}) as other:
        response = other.get("/admin/tenant-settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/signin?next=%2Fadmin%2Ftenant-settings"


def sign_in_form(page: httpx.Response, next_page: str) -> dict[str, str]:
    return {
        "identifier": "admin@demo.test",
        "password": DEMO_ADMIN_PASSWORD,
        "next": next_page,
        "csrf_token": csrf_token(page),
    }


def test_sign_in_returns_to_the_page_asked_for(demo: LiveServer) -> None:
    """A console page opened without a session leads, through sign-in, back to that page with
    its query; a return address off the console (another site) leads to the console home."""
    asked = "/admin/tenant-settings/mail-delivery?status=failed"
    with demo.client() as client:
        redirected = client.get(asked)
        page = client.get(redirected.headers["location"])
        signed_in = client.post("/admin/signin", data=sign_in_form(page, asked))
    assert redirected.headers["location"] == (
        "/admin/signin?next=%2Fadmin%2Ftenant-settings%2Fmail-delivery%3Fstatus%3Dfailed"
    )
    assert f'name="next" value="{asked}"' in page.text
    with demo.client() as client:  # the address comes back as it was encoded
        encoded = client.get("/admin/users/50%25")
    assert encoded.headers["location"] == "/admin/signin?next=%2Fadmin%2Fusers%2F50%2525"
    assert signed_in.status_code == 303 and signed_in.headers["location"] == asked
    for elsewhere in ("//evil.test/admin/", "https://evil.test/admin", "/admin\\@evil.test"):
        with demo.client() as client:
            page = client.get("/admin/signin", params={"next": elsewhere})
            signed_in = client.post("/admin/signin", data=sign_in_form(page, elsewhere))
        assert 'name="next"' not in page.text
        assert signed_in.headers["location"] == "/admin", elsewhere


def test_sign_in_without_csrf_token_is_refused(demo: LiveServer) -> None:
    """The sign-in form needs its CSRF token like every other form."""
    with demo.client() as client:
        client.get("/admin/signin")
        response = client.post(
            "/admin/signin", data={"identifier": "admin@demo.test", "password": DEMO_ADMIN_PASSWORD}
        )
    assert response.status_code == 403


def test_error_pages_keep_the_console_and_say_what_is_missing(demo: LiveServer) -> None:
    """A console 404 keeps the tenant's name, the administrator and Sign out; an address that
    matches no page says so once; a host that is no tenant's gets a page, not bare text."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        no_user = client.get("/admin/users/no-such-user")
        no_page = client.get("/admin/no-such-page")
    with demo.client("nosuch") as client:
        no_tenant = client.get("/")
    assert no_user.status_code == no_page.status_code == no_tenant.status_code == 404
    for page in (no_user, no_page):
        assert "Demo Tenant" in page.text and "admin@demo.test" in page.text
        assert ">Sign out</button>" in page.text
    assert "<p>There is no page at this address.</p>" in no_page.text
    assert "Not Found" not in no_page.text
    assert "<title>404 · Not found</title>" in no_tenant.text
    assert "<p>There is no tenant at this address.</p>" in no_tenant.text


DISPLAY_NAME_REFUSED = (
    "The display name must be 1 to 50 characters: letters, digits, spaces and _ - . &#39; only."
)


def test_display_name_is_edited_on_tenant_settings(demo: LiveServer) -> None:
    """Tenant Settings changes the display name (the reference's 1-50 characters of letters,
    digits, space and _ - . '): the console's header shows it, the change log records it; a
    name outside the rule is refused, kept in the box to correct, and changes nothing. The page
    only showed the name."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        page = client.get("/admin/tenant-settings")
        bad = client.post(
            "/admin/tenant-settings/display-name",
            data={"csrf_token": csrf_token(page), "display_name": "Acme <Corp>"},
        )
        unchanged = client.get("/admin/tenant-settings")
        saved = client.post(
            "/admin/tenant-settings/display-name",
            data={"csrf_token": csrf_token(page), "display_name": " O'Brien Corp. "},
        )
        after = client.get(saved.headers["location"])
    assert bad.status_code == 422
    assert DISPLAY_NAME_REFUSED in bad.text
    assert 'value="Acme &lt;Corp&gt;"' in bad.text and 'aria-invalid="true"' in bad.text
    assert "Demo Tenant" in unchanged.text and "Acme" not in unchanged.text
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/tenant-settings?msg=display-name-saved"
    assert "Display name saved." in after.text
    assert "<title>Tenant Settings · O&#39;Brien Corp.</title>" in after.text
    assert "Display name = O&#39;Brien Corp." in after.text.split("Change log")[1]


def test_the_sign_in_page_of_a_signed_in_administrator_leads_on(demo: LiveServer) -> None:
    """Opening the sign-in page while signed in (a bookmark, Back after signing in) leads to the
    console, or to the console page of its ``next``; it showed the sign-in form again, with no
    sign-out and no sign of the live session. Signed out, the form shows as before."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        home = client.get("/admin/signin")
        onward = client.get("/admin/signin", params={"next": "/admin/users?q=jane"})
        elsewhere = client.get("/admin/signin", params={"next": "//evil.test/admin/"})
        page = client.get("/admin")
        client.post("/admin/signout", data={"csrf_token": csrf_token(page)})
        form = client.get("/admin/signin")
    assert (home.status_code, home.headers["location"]) == (303, "/admin")
    assert onward.headers["location"] == "/admin/users?q=jane"
    assert elsewhere.headers["location"] == "/admin"
    assert form.status_code == 200 and 'name="identifier"' in form.text


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/admin/tenant-settings/mail-server?tab=custom", "Custom Mail Server"),
        ("/admin/tenant-settings/mail-server", "Default"),
        ("/admin/email-template-sets/default/templates/forgot-password/de", "Deutsch"),
    ],
)
def test_page_sections_are_links_marked_current(demo: LiveServer, path: str, current: str) -> None:
    """The row of sections above a page is a row of links (each loads a page), the open one
    marked aria-current: tab roles promised a screen reader tab panels and arrow keys that
    these pages do not have."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test", DEMO_ADMIN_PASSWORD)
        page = client.get(path)
    assert page.status_code == 200
    assert 'role="tab' not in page.text and "aria-selected" not in page.text
    assert page.text.count('aria-current="page"') == 1
    assert f'aria-current="page">{current}</a>' in page.text
