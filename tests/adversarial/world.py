"""Two tenants full of resources, made directly through the service layer: administrators,
users, API clients with two secrets, a template set, an application, e-mails, an SES domain
and a reset link whose raw token the test knows. Everything one tenant owns is recorded, so a
test can prove none of it ever shows up in the other tenant's answers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from gatehouse.accounts.authorizations import ALL_AUTHORIZATIONS, Authorization
from gatehouse.accounts.clients import add_secret, create_client, get_client
from gatehouse.accounts.tokens import RESET_PASSWORD, issue_token
from gatehouse.accounts.users import create_user, set_authorizations
from gatehouse.applications.service import create_application
from gatehouse.db.models import Base
from gatehouse.mail import ses
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.mail.ses_client import SesClient
from gatehouse.mail.templates import sets
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.processes.onboarding import onboard_tenant
from tests.support.live import LiveServer
from tests.support.pages import csrf_token

ADMIN_PASSWORD = "Adv-Admin-Pass-1"
USER_PASSWORD = "Adv-User-Pass-1"
TEMPLATE_LANGUAGE = "de"
TEMPLATE_TYPE = "forgot-password"
LINK = "${user.reset_password_link}"


@dataclass
class World:
    """One tenant and everything it owns (IDs, e-mails, secrets)."""

    tenant_id: str
    display_name: str
    admin_email: str
    admin_id: str
    target_admin_id: str  # an administrator other tests may edit or remove
    user_email: str
    user_id: str
    client_id: str  # holds every authorization
    client_secret: str
    other_client_id: str  # a second client, with two secrets
    secret_id: str
    set_id: str
    application_id: str
    message_id: str
    domain: str
    reset_token: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def auth(self) -> tuple[str, str]:
        return self.client_id, self.client_secret

    def identifiers(self) -> dict[str, str]:
        """What must never appear in another tenant's answers (unless the request named it)."""
        return {
            "tenant display name": self.display_name,
            "administrator e-mail": self.admin_email,
            "administrator ID": self.admin_id,
            "target administrator ID": self.target_admin_id,
            "user e-mail": self.user_email,
            "user ID": self.user_id,
            "client ID": self.client_id,
            "client secret": self.client_secret,
            "other client ID": self.other_client_id,
            "secret ID": self.secret_id,
            "template set ID": self.set_id,
            "application ID": self.application_id,
            "message ID": self.message_id,
            "SES domain": self.domain,
            "reset token": self.reset_token,
            **self.extra,
        }

    def path_values(self) -> dict[str, str]:
        """Values for the path parameters of every route, taken from this tenant."""
        return {
            "user_id": self.user_id,
            "admin_user_id": self.target_admin_id,
            "client_id": self.other_client_id,
            "secret_id": self.secret_id,
            "set_id": self.set_id,
            "slug": TEMPLATE_TYPE,
            "template_type": TEMPLATE_TYPE,
            "language": TEMPLATE_LANGUAGE,
            "app_id": self.application_id,
            "application_id": self.application_id,
            "message_id": self.message_id,
            "domain": self.domain,
        }


def build_world(live: LiveServer, tenant_id: str, display_name: str) -> World:
    """Create a tenant with one of every resource; returns what it owns."""
    tag = secrets.token_hex(3)
    admin_email = f"boss.{tag}@{tenant_id}.test"
    user_email = f"user.{tag}@{tenant_id}.test"
    domain = f"mail-{tag}.{tenant_id}.test"

    async def make(runtime: Any) -> World:
        actor = "tests"
        async with runtime.sessions.begin() as session:
            new = await onboard_tenant(
                session,
                settings=live.settings,
                display_name=display_name,
                admin_email=admin_email,
                tenant_id=tenant_id,
                admin_password=ADMIN_PASSWORD,
            )
            target = await create_user(
                session,
                tenant_id=tenant_id,
                email=f"deputy.{tag}@{tenant_id}.test",
                password=ADMIN_PASSWORD,
            )
            await set_authorizations(
                session, tenant_id, target.id, frozenset({Authorization.READ_USERS})
            )
            user = await create_user(
                session,
                tenant_id=tenant_id,
                email=user_email,
                first_name="Una",
                last_name=f"User{tag}",
                password=USER_PASSWORD,
            )
            client = await create_client(
                session, tenant_id=tenant_id, name=f"all-{tag}", authorizations=ALL_AUTHORIZATIONS
            )
            other = await create_client(
                session,
                tenant_id=tenant_id,
                name=f"other-{tag}",
                authorizations=frozenset({Authorization.READ_USERS}),
            )
            await add_secret(
                session, tenant_id=tenant_id, client_id=other.client_id, expiry="1y", actor=actor
            )
            view = await get_client(session, tenant_id, other.client_id)
            template_set = await sets.create_set(
                session, tenant_id=tenant_id, name=f"Set {tag}", actor=actor
            )
            await sets.save_template(
                session,
                tenant_id=tenant_id,
                set_id=template_set.id,
                slug=TEMPLATE_TYPE,
                language=TEMPLATE_LANGUAGE,
                template=TemplateText(f"Betreff {tag}", f"Text {LINK}", f"<p>{LINK}</p>"),
                actor=actor,
            )
            application = await create_application(
                session,
                tenant_id=tenant_id,
                name=f"App {tag}",
                home_url=f"https://app-{tag}.{tenant_id}.test/",
                actor=actor,
            )
            token = await issue_token(
                session,
                tenant_id=tenant_id,
                user_id=user.id,
                purpose=RESET_PASSWORD,
                valid_for=timedelta(hours=1),
                process="forgot-password",
            )
            message = await enqueue(
                session,
                tenant_id=tenant_id,
                process="test-email",
                recipient=f"ops.{tag}@{tenant_id}.test",
                context={"user": {"sp_name": display_name, "ids_home_link": "http://x.test/"}},
            )
            await ses.add_domain(
                session,
                SesClient(runtime.settings),
                tenant_id=tenant_id,
                domain=domain,
                actor=actor,
                settings=runtime.settings,
            )
            return World(
                tenant_id=tenant_id,
                display_name=display_name,
                admin_email=admin_email,
                admin_id=new.admin.id,
                target_admin_id=target.id,
                user_email=user_email,
                user_id=user.id,
                client_id=client.client_id,
                client_secret=client.secret,
                other_client_id=other.client_id,
                secret_id=view.secrets[0].id,
                set_id=template_set.id,
                application_id=application.id,
                message_id=message.id,
                domain=domain,
                reset_token=token,
            )

    world: World = live.run(make)
    live.wait_for_mail(lambda m: m.rcpt_to == [f"ops.{tag}@{tenant_id}.test"])
    wait_outbox_idle(live)
    return world


def wait_outbox_idle(live: LiveServer, timeout: float = 20) -> None:
    """Until no e-mail is queued for now or being sent (the live worker is done)."""
    import time

    from gatehouse.db.base import utcnow

    async def busy(runtime: Any) -> int:
        async with runtime.sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage.id).where(
                    (OutboxMessage.status == "sending")
                    | (
                        (OutboxMessage.status == "queued")
                        & (OutboxMessage.next_attempt_at <= utcnow() + timedelta(seconds=5))
                    )
                )
            )
            return len(rows.all())

    deadline = time.monotonic() + timeout
    while live.run(busy):
        if time.monotonic() > deadline:
            raise AssertionError("the outbox did not become idle")
        time.sleep(0.1)


def snapshot(live: LiveServer, tenant_id: str | None = None) -> dict[str, list[str]]:
    """Every row of every table as text (only the tenant's rows when ``tenant_id`` is given)."""

    async def read(runtime: Any) -> dict[str, list[str]]:
        tables: dict[str, list[str]] = {}
        async with runtime.sessions() as session:
            for table in Base.metadata.sorted_tables:
                query = select(table)
                if tenant_id is not None and "tenant_id" in table.c:
                    query = query.where(table.c.tenant_id == tenant_id)
                elif tenant_id is not None and table.name == "tenants":
                    query = query.where(table.c.id == tenant_id)
                elif tenant_id is not None and table.name == "alembic_version":
                    continue
                rows = (await session.execute(query)).all()
                tables[table.name] = sorted(repr(tuple(row)) for row in rows)
        return tables

    result: dict[str, list[str]] = live.run(read)
    return result


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """The rows that differ between two snapshots, table by table, for a readable failure."""
    found = []
    for table in sorted(set(before) | set(after)):
        old, new = set(before.get(table, [])), set(after.get(table, []))
        found += [f"{table} - {row}" for row in sorted(old - new)]
        found += [f"{table} + {row}" for row in sorted(new - old)]
    return found


def console(live: LiveServer, tenant_id: str, email: str, password: str) -> httpx.Client:
    """An httpx client on the tenant's host, signed in to the console."""
    client = live.client(tenant_id)
    token = csrf_token(client.get("/admin/signin"))
    answer = client.post(
        "/admin/signin", data={"identifier": email, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    return client


def end_user(live: LiveServer, tenant_id: str, email: str, password: str) -> httpx.Client:
    """An httpx client on the tenant's host, signed in as an end user."""
    client = live.client(tenant_id)
    token = csrf_token(client.get("/"))
    answer = client.post("/", data={"identifier": email, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return client
