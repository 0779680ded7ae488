"""A tenant's e-mails to new users (invitations, users and administrators created in the
console) are limited per hour: each goes to any address typed, with the tenant's template,
maybe through the platform's servers. Past the limit nothing is created: the user would have
no activation e-mail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.db.base import utcnow
from gatehouse.errors import LimitReachedError
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.processes.new_user_limit import check_new_user_email_allowed
from gatehouse.tenants.models import Tenant
from tests.support.accounts import JANE, add_user, api_client, sign_in
from tests.support.delivery import age_outbox, onboard
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, post_form, press

LIMIT = 500
LIMITED = (
    "500 e-mails to new users were sent for this tenant in the last hour, the most allowed. "
    "Try again later."
)


NEW_USER_PROCESSES = ("invitation", "on-behalf-registration")


def sent(
    live: LiveServer,
    count: int,
    *,
    processes: tuple[str, ...] = NEW_USER_PROCESSES,
    tenant_id: str = "demo",
    minutes_ago: int = 0,
) -> None:
    """``count`` e-mails of ``processes`` (in turn) of ``tenant_id``, already failed (no worker
    sends them), queued ``minutes_ago``."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions() as session:
            known = await session.get(Tenant, tenant_id) is not None
        if not known:
            await onboard(runtime, tenant_id)
        async with runtime.sessions.begin() as session:
            for n in range(count):
                message = await enqueue(
                    session,
                    tenant_id=tenant_id,
                    process=processes[n % len(processes)],
                    recipient=f"stranger{n}@example.test",
                    context={},
                )
                message.status, message.context = "failed", None
                message.created_at = utcnow() - timedelta(minutes=minutes_ago)

    live.run(work)


def users_named(live: LiveServer, *emails: str) -> int:
    async def work(runtime: Any) -> int:
        async with runtime.sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(User).where(User.email.in_(emails))
            )
            return int(count or 0)

    return live.run(work)


def add_admin_page(console: httpx.Client, email: str) -> httpx.Response:
    page = console.get("/admin/administrators/new")
    data = {"csrf_token": csrf_token(page), "email": email, "authorization": ["read-users"]}
    return console.post("/admin/administrators/new", data=data)


def create_everywhere(console: httpx.Client, api: httpx.Client, n: int) -> list[httpx.Response]:
    """A new user each way: the API's invitation, the console's new user and administrator."""
    return [
        api.post("/admin/api/v1/invitations", json={"email": f"invited{n}@example.test"}),
        post_form(console, "/admin/users/new", {"email": f"created{n}@example.test"}),
        add_admin_page(console, f"admin{n}@example.test"),
    ]


def test_without_a_limit_none_is_counted(demo: LiveServer) -> None:
    """0: no limit (and no count)."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await check_new_user_email_allowed(session, tenant_id="demo", limit=0)
            with pytest.raises(LimitReachedError) as caught:
                await check_new_user_email_allowed(session, tenant_id="demo", limit=LIMIT)
            assert caught.value.message == LIMITED

    sent(demo, LIMIT)
    demo.run(work)


def test_a_tenants_emails_to_new_users_are_limited_per_hour(demo: LiveServer) -> None:
    assert demo.settings.new_user_emails_per_tenant_hour == LIMIT  # the default
    sent(demo, LIMIT - 1)
    # Not counted: older than the hour, of other processes, of another tenant.
    sent(demo, 5, minutes_ago=61)
    sent(demo, 6, processes=("forgot-password", "self-registration", "test-email"))
    sent(demo, 5, tenant_id="other")
    with (
        demo.client() as console,
        demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api,
    ):
        sign_in(console, "admin@demo.test")
        [last, *refused] = create_everywhere(console, api, 1)
        assert last.status_code == 201, last.text  # the 500th
        assert [answer.status_code for answer in refused] == [429, 429]
        assert all(LIMITED in page.text for page in refused)
        # The forms keep what was typed.
        assert 'value="created1@example.test"' in refused[0].text
        assert 'value="admin1@example.test"' in refused[1].text
        # An existing user made an administrator gets no e-mail: not limited.
        jane = add_admin_page(console, JANE)
        assert jane.status_code == 303, jane.text
        invitation = api.post("/admin/api/v1/invitations", json={"email": "late@example.test"})
        assert (invitation.status_code, invitation.json()) == (429, {"detail": LIMITED})
        # Bad input is told as such at the limit too: the limit would not be the only fix.
        taken = api.post("/admin/api/v1/invitations", json={"email": "invited1@example.test"})
        assert taken.status_code == 409, taken.text
        malformed = api.post("/admin/api/v1/invitations", json={"email": "late@"})
        assert malformed.status_code == 422, malformed.text
        assert malformed.json()["detail"]["field"] == "email"
        again = post_form(console, "/admin/users/new", {"email": "invited1@example.test"})
        assert again.status_code == 422, again.text
        assert "A user with the e-mail invited1@example.test already exists." in again.text
        assert LIMITED not in again.text + taken.text + malformed.text
        assert users_named(demo, "late@example.test", "created1@example.test") == 0
        assert users_named(demo, "admin1@example.test") == 0
        age_outbox(demo, 61)  # an hour later
        created = create_everywhere(console, api, 2)
    assert [answer.status_code for answer in created] == [201, 303, 303]
    assert users_named(demo, *(f"{k}2@example.test" for k in ("invited", "created", "admin"))) == 3


def test_the_activation_email_sent_again_counts_and_is_limited(demo: LiveServer) -> None:
    """Send Activation E-Mail Again mails a new user too: counted, and refused past the
    limit (console 429 on the user page, API 429) with nothing queued."""
    newcomer = add_user(demo, "newcomer@demo.test", password=None)
    sent(demo, LIMIT - 1)
    path = f"/admin/api/v1/users/{newcomer}/send-activation-email"
    with (
        demo.client() as console,
        demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api,
    ):
        sign_in(console, "admin@demo.test")
        last = api.post(path)  # the 500th
        over = api.post(path)
        user_page = f"/admin/users/{newcomer}"
        page = press(console, user_page, f"{user_page}/send-activation-email")
    assert last.status_code == 202, last.text
    assert (over.status_code, over.json()) == (429, {"detail": LIMITED})
    assert page.status_code == 429 and LIMITED in page.text
    assert "Send Activation E-Mail Again</button>" in page.text  # the user's page, again
    assert queued_for(demo, newcomer) == 1


def queued_for(live: LiveServer, user_id: str) -> int:
    async def work(runtime: Any) -> int:
        async with runtime.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.user_id == user_id)
            )
            return int(count or 0)

    return live.run(work)
