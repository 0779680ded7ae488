"""Invitation (REST): someone invites a person by e-mail; a new user awaiting activation gets
the *Invitation* e-mail with the activation link and the inviter's name. System-initiated: the
e-mail speaks the language given for the invitee (their profile language)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.accounts.models import User
from gatehouse.accounts.tokens import ACTIVATE_ACCOUNT, issue_token
from gatehouse.accounts.users import create_user
from gatehouse.applications.models import Application
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.processes.context import user_context
from gatehouse.tenants.link_validity import link_validity
from gatehouse.tenants.models import Tenant

PROCESS = "invitation"


async def invite(
    session: AsyncSession,
    *,
    tenant: Tenant,
    application: Application | None,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    inviter_name: str,
    origin: str,
    actor: str,
) -> tuple[User, OutboxMessage]:
    """The new user and the queued e-mail; ConflictError when the address already has a user."""
    user = await create_user(
        session,
        tenant_id=tenant.id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    token = await issue_token(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        purpose=ACTIVATE_ACCOUNT,
        valid_for=await link_validity(session, tenant.id, PROCESS),
        process=PROCESS,
    )
    message = await enqueue(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        application_id=application.id if application else None,
        process=PROCESS,
        language=user.language,
        recipient=user.email,
        context=user_context(
            user,
            tenant,
            origin=origin,
            application=application,
            activate_account_link=f"{origin}/activate?token={token}",
            inviter_name=inviter_name.strip() or tenant.display_name,
        ),
    )
    await audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        resource=f"user:{user.id}",
        action="create",
        changes={"email": user.email, "status": user.status, "invited": True},
    )
    return user, message
