"""Tenant isolation matrix: every console route and API endpoint the application serves, called
(a) by tenant B's administrator, client and user on B's host naming tenant A's resources, and
(b) with tenant A's session cookies and client credentials on B's host, naming A's and B's
resources. Gated routes refuse (401, 403, 404, or a redirect to sign-in); no answer carries the
other tenant's identifiers, e-mail addresses or secrets; neither tenant's rows change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest
from starlette.requests import cookie_parser

from tests.adversarial.catalogue import Route, documented_routes, request_for, served_routes
from tests.adversarial.world import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    World,
    changes,
    console,
    end_user,
    snapshot,
    wait_outbox_idle,
)
from tests.support.live import LiveServer
from tests.support.pages import csrf_for, signed_csrf

CSRF = "isolation-csrf-token-0123456789abcdef"
SIGN_IN_REDIRECTS = {"/admin/signin", "/", "/?msg=session-expired"}
# The console's SES tab answers an unknown domain with its page and this sentence (422).
NOT_OUR_DOMAIN = "is not one of this tenant&#39;s domains."
LAST = ("/admin/signout", "/logout")  # they end the caller's session: run them last


def matrix_routes() -> list[Route]:
    """Every documented route but the development mailbox and static files, sign-outs last."""
    routes = [r for r in documented_routes() if r.access != "dev" and "/static/" not in r.path]
    return sorted(routes, key=lambda r: r.path in LAST)


def test_the_matrix_covers_every_route_the_application_serves() -> None:
    """A route added to the app without a row in docs/authorizations.md fails here."""
    documented = {(r.method, r.path) for r in documented_routes()}
    missing = sorted(served_routes() - documented)
    assert not missing, f"routes not in docs/authorizations.md: {missing}"
    stale = sorted(documented - served_routes())
    assert not stale, f"docs/authorizations.md lists routes the app does not serve: {stale}"


def gated(route: Route) -> bool:
    return route.access not in ("public", "dev")


def leaked(
    response: httpx.Response, owner: World, request_text: str, *, public: set[str] = frozenset()
) -> list[str]:
    """``owner``'s identifiers found in the answer (body and headers) that the request did not
    itself carry; ``public`` names values any visitor of the host may see."""
    answer = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return [
        f"{what} {value!r}"
        for what, value in owner.identifiers().items()
        if value in answer and value not in request_text and value not in public
    ]


def refused(route: Route, response: httpx.Response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code in (302, 303, 307):
        location = response.headers["location"]
        return location.split("?next=")[0] in SIGN_IN_REDIRECTS  # back to the page, once in
    return response.status_code == 422 and NOT_OUR_DOMAIN in response.text


def call(
    client: httpx.Client, route: Route, world: World, *, cookies: str = ""
) -> tuple[httpx.Response, str]:
    """Call ``route`` naming ``world``'s resources; forms carry a matching CSRF pair (so only
    the session and tenant checks can refuse them). Returns the answer and the request as text."""
    url, kwargs = request_for(route, world)
    headers: dict[str, str] = {}
    if route.is_form:
        cookies = f"{cookies}; gh_csrf={CSRF}" if cookies else f"gh_csrf={CSRF}"
        kwargs.setdefault("data", {})["csrf_token"] = signed_csrf(CSRF, cookie_parser(cookies))
    if cookies:
        headers["cookie"] = cookies
    response = client.request(route.method, url, headers=headers, **kwargs)
    return response, f"{url} {kwargs!r}"


@pytest.fixture
def clients(live: LiveServer, worlds: tuple[World, World]) -> Iterator[dict[str, Any]]:
    """Signed-in console and end-user clients of both tenants, and anonymous clients."""
    a, b = worlds
    made = {
        "a_admin": console(live, "alpha", a.admin_email, ADMIN_PASSWORD),
        "a_user": end_user(live, "alpha", a.user_email, USER_PASSWORD),
        "b_admin": console(live, "bravo", b.admin_email, ADMIN_PASSWORD),
        "b_user": end_user(live, "bravo", b.user_email, USER_PASSWORD),
        "b_api": live.client("bravo", auth=b.auth),
        "b_anon": live.client("bravo"),
        "b_with_a_api": live.client("bravo", auth=a.auth),
    }
    with ExitStack() as stack:
        for client in made.values():
            stack.callback(client.close)
        wait_outbox_idle(live)
        yield made


def test_other_tenants_ids_on_own_host_find_nothing(
    live: LiveServer, worlds: tuple[World, World], clients: dict[str, Any]
) -> None:
    """(a) B's administrator, client and user on B's host, with A's IDs: refused, no A data."""
    a, _ = worlds
    before = snapshot(live, a.tenant_id)
    problems: list[str] = []
    for route in matrix_routes():
        if route.is_api:
            client = clients["b_api"]
        elif route.is_console:
            client = clients["b_admin"]
        else:
            client = clients["b_user"]
        response, request_text = call(client, route, a)
        if response.status_code >= 500:
            problems.append(f"{route}: {response.status_code}")
        if route.params and not refused(route, response):
            problems.append(f"{route} with A's IDs: {response.status_code} {response.text[:200]}")
        for leak in leaked(response, a, request_text):
            problems.append(f"{route}: A's {leak} in B's answer")
    assert not problems, "\n".join(problems)
    assert not changes(before, snapshot(live, a.tenant_id)), "tenant A's rows changed"


def test_other_tenants_credentials_on_this_host_are_nobody(
    live: LiveServer, worlds: tuple[World, World], clients: dict[str, Any]
) -> None:
    """(b) A's session cookies and API client on B's host, naming A's and B's resources:
    every gated route refuses; no answer carries A's or B's data; nobody's rows change."""
    a, b = worlds
    before = (snapshot(live, a.tenant_id), snapshot(live, b.tenant_id))
    a_admin_cookie = f"gh_admin={clients['a_admin'].cookies['gh_admin']}"
    a_user_cookie = f"gh_user={clients['a_user'].cookies['gh_user']}"
    b_public = {b.display_name}  # every page of B's host names its tenant
    problems: list[str] = []
    for named in (a, b):
        for route in matrix_routes():
            if route.is_api:
                response, request_text = call(clients["b_with_a_api"], route, named)
            else:
                cookie = a_admin_cookie if route.is_console else a_user_cookie
                response, request_text = call(clients["b_anon"], route, named, cookies=cookie)
            label = f"{route} naming {named.tenant_id}'s resources"
            if response.status_code >= 500:
                problems.append(f"{label}: {response.status_code}")
            if gated(route) and not refused(route, response):
                problems.append(f"{label}: {response.status_code} {response.text[:200]}")
            for leak in leaked(response, a, request_text):
                problems.append(f"{label}: A's {leak}")
            for leak in leaked(response, b, request_text, public=b_public):
                problems.append(f"{label}: B's {leak} shown to A's credentials")
    assert not problems, "\n".join(problems)
    assert not changes(before[0], snapshot(live, a.tenant_id)), "tenant A's rows changed"
    # B's host counts the failed logons and reset requests it was sent, from anyone (the
    # per-client limits): its only change, holding nothing of A's.
    changed = changes(before[1], snapshot(live, b.tenant_id))
    counted = [c for c in changed if c.startswith("client_attempts + ")]
    assert counted, "no failed logon counted at B's host"
    assert not [c for c in changed if c not in counted], "tenant B's rows changed"


def test_references_to_other_tenants_resources_in_queries_and_bodies(
    live: LiveServer, worlds: tuple[World, World], clients: dict[str, Any]
) -> None:
    """A's application, template set, message, user and reset link named in B's queries and
    bodies: refused or ignored; A's rows unchanged and B's application keeps its set."""
    a, b = worlds
    before = snapshot(live, a.tenant_id)
    admin, api, anon = clients["b_admin"], clients["b_api"], clients["b_anon"]
    form = {"csrf_token": signed_csrf(CSRF)}
    csrf = {"cookie": f"gh_csrf={CSRF}"}
    answers = {
        "logon page ?app=": anon.get(f"/?app={a.application_id}"),
        "forgot page ?app=": anon.get(f"/forgot-password?app={a.application_id}"),
        "code page ?app=": anon.get(f"/logon/code?app={a.application_id}"),
        "reset link": anon.get(f"/reset-password?token={a.reset_token}"),
        "reset with link": anon.post(
            "/reset-password",
            data={**form, "token": a.reset_token, "password": "N3w-Pass-word!"}
            | {"password_confirm": "N3w-Pass-word!"},
            headers=csrf,
        ),
        "logon as A's user": anon.post(
            "/", data={**form, "identifier": a.user_email, "password": USER_PASSWORD}, headers=csrf
        ),
        "console sign-in as A's admin": anon.post(
            "/admin/signin",
            data={**form, "identifier": a.admin_email, "password": ADMIN_PASSWORD},
            headers=csrf,
        ),
        "mail-server ?test=": admin.get(f"/admin/tenant-settings/mail-server?test={a.message_id}"),
        "template ?test=": admin.get(
            f"/admin/email-template-sets/default/templates/forgot-password/en?test={a.message_id}"
        ),
        "user search": admin.get(f"/admin/users?q={a.user_email}"),
        "delivery log by recipient": admin.get(
            f"/admin/tenant-settings/mail-delivery?recipient={a.tenant_id}.test"
        ),
        "console: B's app gets A's set": admin.post(
            f"/admin/applications/{b.application_id}",
            data={"csrf_token": csrf_for(admin, f"/admin/applications/{b.application_id}")}
            | {"name": "x"}
            | {"home_url": "https://x.test/", "template_set_id": a.set_id},
        ),
        "api: B's app gets A's set": api.put(
            f"/admin/api/v1/applications/{b.application_id}", json={"template_set_id": a.set_id}
        ),
        "api: invite into A's app": api.post(
            "/admin/api/v1/invitations",
            json={"email": "new.person@bravo.test", "application_id": a.application_id},
        ),
        "api: users by A's e-mail": api.get("/admin/api/v1/users", params={"email": a.user_email}),
        "api: users search": api.get("/admin/api/v1/users", params={"search": a.tenant_id}),
        "api: messages by recipient": api.get(
            "/admin/api/v1/messages", params={"recipient": a.tenant_id}
        ),
        "forgot by A's e-mail": anon.post(
            "/service/users/forgotPassword", json={"identifier": a.user_email}
        ),
        "forgot by A's user ID": anon.post(
            "/service/users/forgotPassword", json={"identifier": a.user_id}
        ),
    }
    expected = {
        "logon page ?app=": 404,
        "forgot page ?app=": 404,
        "code page ?app=": 404,
        "reset link": 400,
        "reset with link": 400,
        "logon as A's user": 401,
        "console sign-in as A's admin": 401,
        "mail-server ?test=": 200,
        "template ?test=": 200,
        "user search": 200,
        "delivery log by recipient": 200,
        "console: B's app gets A's set": 422,
        "api: B's app gets A's set": 422,
        "api: invite into A's app": 422,  # no application with that ID (8610aa5), as for none
        "api: users by A's e-mail": 200,
        "api: users search": 200,
        "api: messages by recipient": 200,
        "forgot by A's e-mail": 200,
        "forgot by A's user ID": 200,
    }
    assert {k: r.status_code for k, r in answers.items()} == expected
    assert answers["api: users by A's e-mail"].json()["users"] == []
    assert answers["api: users search"].json()["users"] == []
    assert answers["api: messages by recipient"].json()["messages"] == []
    assert "This link is not valid." in answers["reset link"].text
    for name, response in answers.items():
        request_text = unquote_plus(str(response.request.url) + response.request.content.decode())
        assert not leaked(response, a, request_text), f"{name}: {leaked(response, a, '')}"
    wait_outbox_idle(live)
    assert not changes(before, snapshot(live, a.tenant_id)), "tenant A's rows changed"
    app = api.get(f"/admin/api/v1/applications/{b.application_id}").json()
    assert app["template_set_id"] == "default"
