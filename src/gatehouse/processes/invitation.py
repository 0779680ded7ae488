"""Invitation (REST): someone invites a person by e-mail; a new user awaiting activation gets
the *Invitation* e-mail with the activation link and the inviter's name. System-initiated: the
e-mail speaks the language given for the invitee (their profile language)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.users import create_user
from gatehouse.applications.models import Application
from gatehouse.mail.models import OutboxMessage
from gatehouse.plain_text import reject_hidden
from gatehouse.processes.activation import send_activation
from gatehouse.processes.new_user_limit import check_new_user_email_allowed
from gatehouse.processes.user_log import record_user_change
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
    limit: int,
) -> tuple[User, OutboxMessage]:
    """The new user and the queued e-mail; ConflictError when the address already has a user,
    LimitReachedError past ``limit`` e-mails to new users in the hour (new_user_limit). The
    input is checked first, so a bad address is told as such at the limit too; the caller's
    rollback then drops the user."""
    reject_hidden(inviter_name, field="inviter_name")  # it is in the e-mail's subject
    user = await create_user(
        session,
        tenant_id=tenant.id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    await check_new_user_email_allowed(session, tenant_id=tenant.id, limit=limit)
    message = await send_activation(
        session,
        tenant=tenant,
        user=user,
        origin=origin,
        process=PROCESS,
        application=application,
        inviter_name=inviter_name.strip() or tenant.display_name,
    )
    await record_user_change(
        session, user, actor, "create", email=user.email, status=user.status, invited=True
    )
    return user, message
