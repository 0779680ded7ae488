"""Forms and sessions: every state-changing HTML form of the application (enumerated from its
routes) refuses a missing or wrong CSRF token with 403 and changes nothing; every cookie is
HttpOnly and SameSite=Lax, and Secure under https; a sign-in always issues a new session and
a new CSRF token, a sign-out revokes the session on the server; five failed sign-ins in a row
lock the password for 60 minutes, as processes/logon.py documents."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gatehouse.accounts.lockout import LOCK_AFTER_FAILURES, LOCK_DURATION
from gatehouse.accounts.models import User, WebSession
from gatehouse.applications.service import update_application
from gatehouse.crypto import hash_token
from gatehouse.mail.models import OutboxMessage
from gatehouse.web.console.routes import SIGN_IN_FAILED
from gatehouse.web.csrf import CSRF_FAILED
from tests.adversarial.catalogue import (
    Route,
    documented_routes,
    fill,
    form_fields,
    served_routes,
)
from tests.adversarial.world import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    World,
    build_world,
    changes,
    console,
    end_user,
    snapshot,
    wait_outbox_idle,
)
from tests.support.live import LiveServer
from tests.support.pages import csrf_for, csrf_token

PLANTED = "planted-by-a-neighbouring-subdomain"
COOKIE_NAMES = ("gh_csrf", "gh_admin", "gh_user", "gh_pending")
LOCKED_RE = re.compile(r"try again after (\d\d):(\d\d) UTC")


def form_routes() -> list[Route]:
    return [r for r in documented_routes() if r.is_form and r.access != "dev"]


def test_form_routes_are_enumerated_from_the_application() -> None:
    """The forms under test are every POST route outside the JSON APIs (a new one joins)."""
    served = {
        path
        for method, path in served_routes()
        if method == "POST" and not path.startswith(("/admin/api/", "/service/"))
    }
    assert {r.path for r in form_routes()} == served
    assert len(served) >= 40


@pytest.fixture
def world(live: LiveServer) -> World:
    return build_world(live, "forms", "Forms Corp Ferret")


def test_every_form_refuses_a_missing_or_wrong_csrf_token(live: LiveServer, world: World) -> None:
    """With a valid session, each form posted without a token, with a token but no cookie,
    with a wrong token, with the cookie's value as the token, with a planted cookie repeated
    in the form, and with a cookie and token a page gave someone else planted beside the
    session: 403 with the CSRF sentence, and no row of the database changes."""
    admin = console(live, world.tenant_id, world.admin_email, ADMIN_PASSWORD)
    user = end_user(live, world.tenant_id, world.user_email, USER_PASSWORD)
    # Anyone gets a cookie and the field that goes with it from any page: an attacker who can
    # plant cookies plants the pair got as nobody, or in a session of their own.
    with live.client(world.tenant_id) as stranger:
        theirs = {path: _pair(stranger, path) for path in ("/admin/signin", "/")}
    try:
        wait_outbox_idle(live)
        before = snapshot(live)
        wrong = []
        for route in form_routes():
            client = admin if route.is_console else user
            url = fill(route, world.path_values())
            good = csrf_for(client, url)
            planted_cookie, planted_field = theirs["/admin/signin" if route.is_console else "/"]
            attempts: dict[str, dict[str, Any]] = {
                "missing": {"data": form_fields(route)},
                "wrong": {"data": {**form_fields(route), "csrf_token": good[:-4] + "AAAA"}},
                "empty": {"data": {**form_fields(route), "csrf_token": ""}},
                "no cookie": {
                    "data": {**form_fields(route), "csrf_token": good},
                    "headers": {"cookie": _cookies_without_csrf(client)},
                },
                # Double submit unsigned: the cookie's own value in the field.
                "cookie as token": {
                    "data": {**form_fields(route), "csrf_token": client.cookies["gh_csrf"]},
                },
                # A cookie planted from a neighbouring subdomain, repeated in the form.
                "planted": {
                    "data": {**form_fields(route), "csrf_token": PLANTED},
                    "headers": {"cookie": f"{_cookies_without_csrf(client)}; gh_csrf={PLANTED}"},
                },
                # A pair the server gave someone else, planted with the victim's session.
                "planted pair": {
                    "data": {**form_fields(route), "csrf_token": planted_field},
                    "headers": {
                        "cookie": f"{_cookies_without_csrf(client)}; gh_csrf={planted_cookie}"
                    },
                },
            }
            for name, kwargs in attempts.items():
                answer = client.post(url, **kwargs)
                if answer.status_code != 403 or CSRF_FAILED not in answer.text:
                    wrong.append(f"{route} ({name}): {answer.status_code} {answer.text[:120]!r}")
        assert not wrong, "\n".join(wrong)
        assert not changes(before, snapshot(live))
    finally:
        admin.close()
        user.close()


def _pair(client: httpx.Client, path: str) -> tuple[str, str]:
    """The CSRF cookie and form field a page at ``path`` gives ``client``."""
    page = client.get(path)
    return client.cookies["gh_csrf"], csrf_token(page)


def _cookies_without_csrf(client: httpx.Client) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar if c.name != "gh_csrf")


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers of an answer by cookie name."""
    found = {}
    for key, value in response.headers.multi_items():
        if key == "set-cookie":
            found[value.split("=", 1)[0]] = value
    return found


def flags_ok(header: str, *, https: bool) -> bool:
    lowered = header.lower()
    return (
        "httponly" in lowered and "samesite=lax" in lowered and (("; secure" in lowered) == https)
    )


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_every_cookie_is_httponly_samesite_lax_and_secure_under_https(
    live: LiveServer, world: World, https: bool
) -> None:
    """The CSRF, console, end-user and pending-code cookies, over http and behind a TLS proxy
    (where the CSRF cookie is ``__Host-gh_csrf``: Secure, for path / and without a domain, so
    browsers let no subdomain and no plain http page set it)."""
    headers = {"x-forwarded-proto": "https"} if https else {}
    seen: dict[str, str] = {}

    async def code_required(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await update_application(
                session,
                tenant_id=world.tenant_id,
                application_id=world.application_id,
                actor="tests",
                email_otp=True,
            )

    live.run(code_required)
    with live.client(world.tenant_id, headers=headers) as client:
        page = client.get("/admin/signin")
        seen.update(set_cookies(page))
        token = csrf_token(page)
        csrf_name = "__Host-gh_csrf" if https else "gh_csrf"  # no subdomain can plant it
        sent = {"cookie": seen[csrf_name].split(";")[0]}  # httpx keeps Secure ones off http
        steps = [
            ("/admin/signin", {"identifier": world.admin_email, "password": ADMIN_PASSWORD}),
            ("/", {"identifier": world.user_email, "password": USER_PASSWORD}),
            (
                "/",
                {
                    "identifier": world.user_email,
                    "password": USER_PASSWORD,
                    "app": world.application_id,
                },
            ),
        ]
        for path, data in steps:
            answer = client.post(path, data={**data, "csrf_token": token}, headers=sent)
            assert answer.status_code == 303, answer.text
            seen.update(set_cookies(answer))
    names = [n.replace("gh_csrf", csrf_name) for n in COOKIE_NAMES]
    assert set(seen) == set(names)
    assert "; path=/;" in seen[csrf_name].lower() + ";" and "domain=" not in seen[csrf_name].lower()
    bad = {name: header for name, header in seen.items() if not flags_ok(header, https=https)}
    assert not bad


def test_no_answer_may_be_framed_sniffed_stored_or_leak_its_address(
    live: LiveServer, world: World
) -> None:
    """Pages, error pages, JSON and static files alike: no other site may frame them, no type is
    sniffed, and a link to another site carries no referrer (a reset page's address holds its
    token)."""
    expected = {
        "content-security-policy": "frame-ancestors 'none'",
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    paths = [
        "/admin/signin",
        "/",
        "/forgot-password",
        "/reset-password?token=not-a-token",
        "/admin/no-such-page",
        "/admin/api/v1/messages",
        "/static/gatehouse.css",
        "/admin/signin?identifier=%00",  # refused before any route
    ]
    with live.client(world.tenant_id) as client:
        answers = {path: client.get(path) for path in paths}
    assert {path: a.status_code for path, a in answers.items()} == {
        "/admin/signin": 200,
        "/": 200,
        "/forgot-password": 200,
        "/reset-password?token=not-a-token": 400,
        "/admin/no-such-page": 404,
        "/admin/api/v1/messages": 401,
        "/static/gatehouse.css": 200,
        "/admin/signin?identifier=%00": 400,
    }
    for path, answer in answers.items():
        assert {name: answer.headers.get(name) for name in expected} == expected, path
        stored = path.startswith("/static/")  # only files the same for everyone are kept
        assert (answer.headers.get("cache-control") == "no-store") is not stored, path


def session_rows(live: LiveServer, tenant_id: str) -> dict[str, Any]:
    async def read(runtime: Any) -> dict[str, Any]:
        async with runtime.sessions() as session:
            rows = await session.scalars(
                select(WebSession).where(WebSession.tenant_id == tenant_id)
            )
            return {row.token_hash: row.revoked_at for row in rows}

    result: dict[str, Any] = live.run(read)
    return result


def test_sign_in_renews_the_session_and_sign_out_revokes_it(live: LiveServer, world: World) -> None:
    """A planted session cookie is never adopted, each sign-in issues a new token and a new
    CSRF token, and after sign-out the old cookie opens nothing (console and end-user alike)."""
    planted = "attacker-chosen-session-value"
    for kind, path, cookie, home, email, password in (
        ("console", "/admin/signin", "gh_admin", "/admin", world.admin_email, ADMIN_PASSWORD),
        ("user", "/", "gh_user", "/profile", world.user_email, USER_PASSWORD),
    ):
        with live.client(world.tenant_id) as client:
            client.cookies.set(cookie, planted, path="/admin" if kind == "console" else "/")
            tokens = []
            csrf_before = []
            for _ in range(2):
                client.get(path)  # the page (or, signed in, a redirect away from it)
                csrf = client.cookies["gh_csrf"]
                csrf_before.append(csrf)
                answer = client.post(
                    path,
                    data={
                        "identifier": email,
                        "password": password,
                        "csrf_token": csrf_for(client, path),
                    },
                )
                assert answer.status_code == 303, answer.text
                issued = set_cookies(answer)
                tokens.append(issued[cookie].split(";")[0].split("=", 1)[1])
                new_csrf = issued["gh_csrf"].split(";")[0].split("=", 1)[1]
                assert new_csrf != csrf, f"{kind}: the CSRF token was not rotated at sign-in"
            assert planted not in tokens and tokens[0] != tokens[1], kind
            rows = session_rows(live, world.tenant_id)
            assert hash_token(planted) not in rows and hash_token(tokens[1]) in rows
            assert client.get(home).status_code == 200
            out_path = "/admin/signout" if kind == "console" else "/logout"
            signed_out = client.post(out_path, data={"csrf_token": csrf_for(client, out_path)})
            assert signed_out.status_code == 303
            assert rows != session_rows(live, world.tenant_id)
            assert session_rows(live, world.tenant_id)[hash_token(tokens[1])] is not None
        with live.client(world.tenant_id) as replay:
            answer = replay.get(home, headers={"cookie": f"{cookie}={tokens[1]}"})
            assert answer.status_code == 303, f"{kind}: the revoked session still works"
            assert answer.headers["location"] in ("/admin/signin", "/")


def user_state(live: LiveServer, tenant_id: str, email: str) -> tuple[int, Any, int]:
    async def read(runtime: Any) -> tuple[int, Any, int]:
        async with runtime.sessions() as session:
            user = await session.scalar(
                select(User).where(User.tenant_id == tenant_id, User.email == email)
            )
            mails = await session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.user_id == user.id, OutboxMessage.process == "locked-password"
                )
            )
            return user.failed_logons, user.locked_until, len(mails.all())

    result: tuple[int, Any, int] = live.run(read)
    return result


@pytest.mark.parametrize("surface", ["console", "logon"])
def test_five_failed_sign_ins_lock_the_password_for_60_minutes(
    live: LiveServer, world: World, surface: str
) -> None:
    """Four wrong passwords leave the account open; the fifth locks it for 60 minutes and
    queues one Locked Password e-mail; then even the right password is refused, with the very
    answer of a wrong one; more wrong passwords change nothing and say nothing about the lock."""
    path = "/admin/signin" if surface == "console" else "/"
    email = world.admin_email if surface == "console" else world.user_email
    password = ADMIN_PASSWORD if surface == "console" else USER_PASSWORD
    with live.client(world.tenant_id) as client:

        def attempt(secret: str) -> httpx.Response:
            token = csrf_token(client.get(path))
            return client.post(
                path, data={"identifier": email, "password": secret, "csrf_token": token}
            )

        for n in range(1, LOCK_AFTER_FAILURES):
            assert attempt(f"Wrong-{n}").status_code == 401
            assert user_state(live, world.tenant_id, email)[0] == n
        assert user_state(live, world.tenant_id, email)[1] is None
        locked_at = datetime.now(UTC)
        assert attempt("Wrong-5").status_code == 401
        failures, until, mails = user_state(live, world.tenant_id, email)
        assert failures == LOCK_AFTER_FAILURES and mails == 1
        assert abs((until - locked_at) - LOCK_DURATION) < timedelta(seconds=30)
        right = attempt(password)
        again = attempt("Wrong-6")
        assert (right.status_code, right.text) == (again.status_code, again.text)
        assert again.status_code == 401 and not LOCKED_RE.search(again.text)
        if surface == "console":
            assert SIGN_IN_FAILED in again.text
        assert user_state(live, world.tenant_id, email)[2] == 1  # still one e-mail
