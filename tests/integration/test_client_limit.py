"""The per-client limits of failed logons and forgot-password requests on a real server: per
tenant and client network (X-Forwarded-For from the trusted local proxy, as behind
deploy/nginx.conf) in any hour. Past the limit every logon is refused before its password is
checked, the right one too, and no reset e-mail is sent; other networks are not held up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from gatehouse.accounts.models import User
from gatehouse.db.base import utcnow
from gatehouse.processes.client_limit import REFUSALS, Attempt
from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD, DEMO_USER_PASSWORD
from gatehouse.processes.models import ClientAttempt
from tests.support.accounts import JANE, mails_to
from tests.support.live import LiveServer
from tests.support.pages import post_form

ATTACKER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"
LOGONS_REFUSED = REFUSALS[Attempt.FAILED_LOGON]
RESETS_REFUSED = REFUSALS[Attempt.FORGOT_PASSWORD]


def attempted(live: LiveServer, attempt: Attempt, count: int, *, network: str = ATTACKER) -> None:
    """``count`` attempts of ``network`` at the demo tenant, just now."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            for _ in range(count):
                session.add(ClientAttempt(tenant_id="demo", kind=attempt.value, network=network))

    live.run(work)


def age_attempts(live: LiveServer, minutes: int) -> None:
    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await session.execute(
                update(ClientAttempt).values(created_at=utcnow() - timedelta(minutes=minutes))
            )

    live.run(work)


def failed_logons_of_jane(live: LiveServer) -> int:
    async def work(runtime: Any) -> int:
        async with runtime.sessions() as session:
            return int(await session.scalar(select(User.failed_logons).where(User.email == JANE)))

    result: int = live.run(work)
    return result


def client(live: LiveServer, network: str) -> httpx.Client:
    return live.client(headers={"x-forwarded-for": network})


def log_on(browser: httpx.Client, password: str, path: str = "/") -> httpx.Response:
    identifier = "admin@demo.test" if path.startswith("/admin") else JANE
    return post_form(browser, path, {"identifier": identifier, "password": password})


def test_failed_logons_are_limited_per_client_network(demo: LiveServer) -> None:
    limit = demo.settings.failed_logons_per_client_hour
    assert limit == 200  # the default
    attempted(demo, Attempt.FAILED_LOGON, limit - 1)
    attempted(demo, Attempt.FORGOT_PASSWORD, 5)  # another limit's: not counted here
    with client(demo, ATTACKER) as attacker:
        assert log_on(attacker, "Not-Her-Password-1").status_code == 401  # the 200th
        right = log_on(attacker, DEMO_USER_PASSWORD)  # refused before it is checked
        console = log_on(attacker, DEMO_ADMIN_PASSWORD, "/admin/signin")
    assert right.status_code == console.status_code == 429
    assert all(LOGONS_REFUSED in page.text for page in (right, console))
    assert 'value="jane@demo.test"' in right.text  # what was typed stays
    assert "gh_user" not in right.cookies and "gh_admin" not in console.cookies
    assert failed_logons_of_jane(demo) == 1  # the refused ones never reached her password
    with client(demo, NEIGHBOUR) as neighbour:
        assert log_on(neighbour, DEMO_USER_PASSWORD).status_code == 303
    age_attempts(demo, 61)  # an hour later
    with client(demo, ATTACKER) as attacker:
        assert log_on(attacker, DEMO_USER_PASSWORD).status_code == 303


def test_forgot_password_requests_are_limited_per_client_network(demo: LiveServer) -> None:
    limit = demo.settings.forgot_password_per_client_hour
    assert limit == 100  # the default
    attempted(demo, Attempt.FORGOT_PASSWORD, limit - 1)
    api = "/service/users/forgotPassword"
    with client(demo, ATTACKER) as attacker:
        last = attacker.post(api, json={"identifier": JANE})  # the 100th: any identifier counts
        over = attacker.post(api, json={"identifier": JANE})
        page = post_form(attacker, "/forgot-password", {"identifier": JANE})
    assert last.status_code == 200
    assert (over.status_code, over.json()) == (429, {"detail": RESETS_REFUSED})
    assert page.status_code == 429 and RESETS_REFUSED in page.text
    assert 'value="jane@demo.test"' in page.text  # what was typed stays
    demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    with client(demo, NEIGHBOUR) as neighbour:
        assert neighbour.post(api, json={"identifier": JANE}).status_code == 200
    demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=2)
    assert len(mails_to(demo)) == 2  # none for the refused requests
