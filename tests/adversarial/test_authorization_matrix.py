"""Authorization matrix: every console route and API endpoint of docs/authorizations.md, called
by an administrator and by an API client holding each single authorization. The documented
holders pass the authorization check (whatever the handler then answers, never a 5xx); everyone
else gets the pinned 403. The table itself must list every route the application serves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.users import create_user, set_authorizations
from gatehouse.web.api.auth import FORBIDDEN as API_FORBIDDEN
from gatehouse.web.console.auth import FORBIDDEN as CONSOLE_FORBIDDEN
from tests.adversarial.catalogue import Route, documented_routes, request_for, served_routes
from tests.adversarial.world import World, console
from tests.support.accounts import api_client
from tests.support.live import LiveServer
from tests.support.pages import csrf_for

PASSWORD = "Matrix-Pass-1"


def test_every_served_route_has_a_documented_authorization() -> None:
    """docs/authorizations.md names every route the app serves, with a known value."""
    documented = documented_routes()
    pairs = [(r.method, r.path) for r in documented]
    assert len(pairs) == len(set(pairs)), "a route is listed twice"
    assert set(pairs) == set(served_routes())
    slugs = {a.value for a in Authorization}
    for route in documented:
        assert route.access in ("public", "user", "any", "dev") or (
            route.allowed and route.allowed <= slugs
        ), f"{route}: unknown value {route.access!r}"


def gated_routes() -> list[Route]:
    return [r for r in documented_routes() if r.allowed is not None]


def holders(live: LiveServer, tenant_id: str) -> dict[Authorization, dict[str, Any]]:
    """Per authorization: a console client signed in as an administrator holding only it, and
    an API client's credentials holding only it."""

    async def make(runtime: Any) -> dict[Authorization, str]:
        emails = {}
        async with runtime.sessions.begin() as session:
            for authorization in Authorization:
                email = f"only-{authorization.value}@{tenant_id}.test"
                user = await create_user(
                    session, tenant_id=tenant_id, email=email, password=PASSWORD
                )
                await set_authorizations(session, tenant_id, user.id, frozenset({authorization}))
                emails[authorization] = email
        return emails

    emails = live.run(make)
    return {
        authorization: {
            "console": console(live, tenant_id, emails[authorization], PASSWORD),
            "api": live.client(
                tenant_id, auth=api_client(live, authorization, tenant_id=tenant_id)
            ),
        }
        for authorization in Authorization
    }


def verdict(route: Route, response: httpx.Response) -> str:
    """passed | refused | other (anything else: a sign-in redirect, a 5xx, a CSRF refusal)."""
    if response.status_code >= 500:
        return "other"
    forbidden = API_FORBIDDEN if route.is_api else CONSOLE_FORBIDDEN
    if response.status_code == 403:
        if route.is_api and str(response.json().get("detail")).startswith(forbidden):
            return "refused"
        if not route.is_api and forbidden in response.text:
            return "refused"
        return "other"
    if response.status_code in (302, 303) and response.headers["location"].startswith(
        "/admin/signin"
    ):
        return "other"
    if response.status_code == 401:
        return "other"
    return "passed"


@pytest.fixture
def world(live: LiveServer) -> World:
    from tests.adversarial.world import build_world

    return build_world(live, "matrix", "Matrix Corp Marmot")


def test_each_single_authorization_opens_exactly_the_documented_routes(
    live: LiveServer, world: World
) -> None:
    """For every gated route and every authorization, console and API alike: passed when the
    table lists the authorization (or says any), refused with 403 otherwise."""
    made = holders(live, world.tenant_id)
    wrong: list[str] = []
    try:
        for authorization, clients in made.items():
            for route in gated_routes():
                client = clients["api" if route.is_api else "console"]
                url, kwargs = request_for(route, world)
                if route.is_form:
                    kwargs.setdefault("data", {})["csrf_token"] = csrf_for(client, url)
                response = client.request(route.method, url, **kwargs)
                expected = (
                    "passed"
                    if "*" in route.allowed or authorization.value in route.allowed
                    else "refused"
                )
                got = verdict(route, response)
                if got != expected:
                    wrong.append(
                        f"{authorization.value} {route}: expected {expected}, got "
                        f"{response.status_code} {response.text[:160]!r}"
                    )
    finally:
        for clients in made.values():
            clients["console"].close()
            clients["api"].close()
    assert not wrong, f"{len(wrong)} mismatches:\n" + "\n".join(wrong)
