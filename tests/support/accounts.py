"""Helpers for tests of users, administrators and the e-mail limit: API clients, console
sign-in, users in a given state, and reading the limit's rows."""

from __future__ import annotations

from itertools import chain, count
from typing import Any

import httpx
from sqlalchemy import func, select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import create_client
from gatehouse.accounts.models import ApiClient, LimitedEmail, User
from gatehouse.accounts.users import create_user, set_authorizations
from gatehouse.mail.models import OutboxMessage
from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD
from tests.support.live import LiveServer
from tests.support.pages import post_form

JANE = "jane@demo.test"
LIMIT_SENTENCE = (
    "We did not send you an email because you have reached the limit of three emails in any "
    "24 hour period."
)
FORGOT_ANSWER = "If an account exists, an email with a link to reset your password has been sent."


def api_client(live: LiveServer, *authorizations: Authorization, tenant_id: str = "demo") -> Any:
    """Basic credentials (client ID, secret) of a new API client of ``tenant_id``."""

    async def make(runtime: Any) -> tuple[str, str]:
        async with runtime.sessions.begin() as session:
            names = await session.scalars(
                select(ApiClient.name).where(ApiClient.tenant_id == tenant_id)
            )
            taken = set(names.all())
            candidates = chain(["tests"], (f"tests {n}" for n in count(2)))
            name = next(n for n in candidates if n not in taken)
            new = await create_client(
                session,
                tenant_id=tenant_id,
                name=name,  # names are unique within a tenant
                authorizations=frozenset(authorizations),
            )
        return new.client_id, new.secret

    return live.run(make)


def sign_in(client: httpx.Client, identifier: str, password: str = DEMO_ADMIN_PASSWORD) -> None:
    response = post_form(client, "/admin/signin", {"identifier": identifier, "password": password})
    assert response.status_code == 303, response.text


def add_user(
    live: LiveServer,
    email: str,
    *,
    password: str | None = "User-Pass-123",
    status: str | None = None,
    authorizations: frozenset[Authorization] = frozenset(),
    tenant_id: str = "demo",
    first_name: str = "",
    last_name: str = "",
    login_name: str | None = None,
) -> str:
    """A user of the tenant (active with a password by default); returns the user ID."""

    async def make(runtime: Any) -> str:
        async with runtime.sessions.begin() as session:
            user = await create_user(
                session,
                tenant_id=tenant_id,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                login_name=login_name,
            )
            if status:
                user.status = status
            if authorizations:
                await set_authorizations(session, tenant_id, user.id, authorizations)
            return user.id

    return str(live.run(make))


def user_id_of(live: LiveServer, email: str, tenant_id: str = "demo") -> str:
    async def find(runtime: Any) -> str:
        async with runtime.sessions() as session:
            return str(
                await session.scalar(
                    select(User.id).where(User.tenant_id == tenant_id, User.email == email)
                )
            )

    return str(live.run(find))


def forgot(live: LiveServer, identifier: str) -> httpx.Response:
    with live.client() as client:
        return client.post("/service/users/forgotPassword", json={"identifier": identifier})


def limit_rows(live: LiveServer, email: str = JANE) -> dict[str, int]:
    """How many e-mails the limit counted and refused for the user, and the outbox rows."""

    async def count(runtime: Any) -> dict[str, int]:
        async with runtime.sessions() as session:
            uid = await session.scalar(select(User.id).where(User.email == email))
            rows = await session.execute(
                select(LimitedEmail.outcome, func.count())
                .where(LimitedEmail.user_id == uid)
                .group_by(LimitedEmail.outcome)
            )
            result = {outcome: n for outcome, n in rows}
            result["outbox"] = int(
                await session.scalar(
                    select(func.count()).where(
                        OutboxMessage.user_id == uid,
                        OutboxMessage.process.in_(
                            ("forgot-password", "reset-password", "locked-password")
                        ),
                    )
                )
                or 0
            )
            return result

    result: dict[str, int] = live.run(count)
    return result


def mails_to(live: LiveServer, email: str = JANE) -> list[Any]:
    return [m for m in live.devmail.mailbox.messages() if m.rcpt_to == [email]]
