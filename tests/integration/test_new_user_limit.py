"""A tenant's e-mails to new users (invitations, users and administrators created in the
console) are limited per hour: each goes to any address typed, with the tenant's template,
maybe through the platform's servers. Past the limit nothing is created: the user would have
no activation e-mail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.db.base import utcnow
from gatehouse.mail.outbox import enqueue
from tests.support.accounts import api_client, sign_in
from tests.support.delivery import age_outbox
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, post_form

LIMIT = 500
LIMITED = (
    "500 e-mails to new users were sent for this tenant in the last hour, the most allowed. "
    "Try again later."
)


def sent_to_new_users(live: LiveServer, count: int, *, minutes_ago: int = 0) -> None:
    """``count`` invitation and on-behalf registration e-mails of the demo tenant, already
    failed (no worker sends them), queued ``minutes_ago``."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            for n in range(count):
                message = await enqueue(
                    session,
                    tenant_id="demo",
                    process=("invitation", "on-behalf-registration")[n % 2],
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


def create_everywhere(console: httpx.Client, api: httpx.Client, n: int) -> list[httpx.Response]:
    """A new user each way: the API's invitation, the console's new user and administrator."""
    admin_page = console.get("/admin/administrators/new")
    return [
        api.post("/admin/api/v1/invitations", json={"email": f"invited{n}@example.test"}),
        post_form(console, "/admin/users/new", {"email": f"created{n}@example.test"}),
        console.post(
            "/admin/administrators/new",
            data={
                "csrf_token": csrf_token(admin_page),
                "email": f"admin{n}@example.test",
                "authorization": ["read-users"],
            },
        ),
    ]


def test_a_tenants_emails_to_new_users_are_limited_per_hour(demo: LiveServer) -> None:
    assert demo.settings.new_user_emails_per_tenant_hour == LIMIT  # the default
    sent_to_new_users(demo, LIMIT - 1)
    sent_to_new_users(demo, 5, minutes_ago=61)  # older than the hour: not counted
    with (
        demo.client() as console,
        demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api,
    ):
        sign_in(console, "admin@demo.test")
        [last, *refused] = create_everywhere(console, api, 1)
        assert last.status_code == 201, last.text  # the 500th
        assert [answer.status_code for answer in refused] == [429, 429]
        for page in refused:
            assert LIMITED in page.text and 'value="' in page.text
        assert "created1@example.test" in refused[0].text  # the form keeps what was typed
        assert "admin1@example.test" in refused[1].text
        invitation = api.post("/admin/api/v1/invitations", json={"email": "late@example.test"})
        assert (invitation.status_code, invitation.json()) == (429, {"detail": LIMITED})
        assert users_named(demo, "late@example.test", "created1@example.test") == 0
        assert users_named(demo, "admin1@example.test") == 0
        age_outbox(demo, 61)  # an hour later
        created = create_everywhere(console, api, 2)
    assert [answer.status_code for answer in created] == [201, 303, 303]
    assert users_named(demo, *(f"{k}2@example.test" for k in ("invited", "created", "admin"))) == 3
