"""Account activation: a user created on someone's behalf gets a link to set a first password."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import LinkToken, User
from gatehouse.accounts.tokens import (
    ACTIVATE_ACCOUNT,
    UsedLink,
    check_current,
    consume_token,
    issue_token,
    peek_token,
)
from gatehouse.accounts.users import get_user
from gatehouse.applications.models import Application
from gatehouse.errors import TokenError
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.processes.context import user_context
from gatehouse.processes.user_log import PASSWORD_SET_WITH_ACTIVATION, set_own_password
from gatehouse.tenants.link_validity import link_validity
from gatehouse.tenants.models import Tenant

ON_BEHALF_REGISTRATION = "on-behalf-registration"
INVITATION = "invitation"
# The processes whose e-mail carries an activation link.
ACTIVATION_PROCESSES = (ON_BEHALF_REGISTRATION, INVITATION, "self-registration")


async def send_activation(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    origin: str,
    process: str = ON_BEHALF_REGISTRATION,
    application: Application | None = None,
    **placeholders: str,
) -> OutboxMessage:
    """Queue ``process``'s e-mail (on-behalf registration, self-registration, invitation) with
    a single-use activation link valid for that process's configured time."""
    token = await issue_token(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        purpose=ACTIVATE_ACCOUNT,
        valid_for=await link_validity(session, tenant.id, process),
        process=process,
        application_id=application.id if application else None,
    )
    return await enqueue(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        application_id=application.id if application else None,
        process=process,
        language=user.language,
        recipient=user.email,
        context=user_context(
            user,
            tenant,
            origin=origin,
            application=application,
            activate_account_link=f"{origin}/activate?token={token}",
            **placeholders,
        ),
    )


async def last_activation_email(
    session: AsyncSession, *, tenant_id: str, user_id: str
) -> OutboxMessage | None:
    """The user's latest e-mail with an activation link, while the delivery log keeps it: the
    user page says whether it was sent or failed."""
    found = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.user_id == user_id,
            OutboxMessage.process.in_(ACTIVATION_PROCESSES),
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    )
    return found.first()


async def last_activation_link(
    session: AsyncSession, *, tenant_id: str, user_id: str
) -> LinkToken | None:
    """The user's latest activation link, whatever became of it, while it is kept (until 30
    days after it expired, or until the address changes): it remembers the process and the
    application the user came from."""
    found = await session.scalars(
        select(LinkToken)
        .where(
            LinkToken.tenant_id == tenant_id,
            LinkToken.user_id == user_id,
            LinkToken.purpose == ACTIVATE_ACCOUNT,
        )
        .order_by(LinkToken.created_at.desc())
        .limit(1)
    )
    return found.first()


async def user_for_activation_token(session: AsyncSession, *, tenant: Tenant, token: str) -> User:
    record = await peek_token(session, tenant_id=tenant.id, token=token, purpose=ACTIVATE_ACCOUNT)
    user = await get_user(session, tenant.id, record.user_id)
    if user is None or user.status == "inactive":
        raise TokenError("This link is not valid. Request a new one.")
    check_current(record, user.password_changed_at)
    return user


async def activate(session: AsyncSession, *, tenant: Tenant, token: str, password: str) -> UsedLink:
    user = await user_for_activation_token(session, tenant=tenant, token=token)
    await set_own_password(session, user, password, PASSWORD_SET_WITH_ACTIVATION)
    record = await consume_token(
        session, tenant_id=tenant.id, token=token, purpose=ACTIVATE_ACCOUNT
    )
    return UsedLink(user, record.application_id)
