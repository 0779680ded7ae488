"""Forgot password: a single-use reset link by e-mail, and setting the new password with it.

The REST answer never reveals whether an account exists: unknown and inactive identifiers and
users at the e-mail limit get the same answer, after the same work (a token made and hashed),
and every answer waits for the same floor (web.timing). Only the logon page tells a user at the
limit why no e-mail came, as the reference does."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.tokens import UsedLink
from gatehouse.accounts.users import find_by_identifier
from gatehouse.applications.models import Application
from gatehouse.processes.client_limit import Attempt, check_attempts, record_attempt
from gatehouse.processes.email_limit import LIMIT_REACHED
from gatehouse.processes.password_links import (
    FORGOT,
    Outcome,
    send_password_link,
    set_password_with_link,
    spend_equal_effort,
    user_for_link,
)
from gatehouse.tenants.models import Tenant

FORGOT_PASSWORD_ANSWER = (
    "If an account exists, an email with a link to reset your password has been sent."
)


async def request_reset(
    session: AsyncSession,
    *,
    tenant: Tenant,
    identifier: str,
    origin: str,
    language: str | None,
    network: str,
    limit: int,
    application: Application | None = None,
) -> Outcome:
    """Queue the reset e-mail when the identifier names an active or new user below the limit.
    The outcome is for the logon page, logs and tests; the REST API never shows it.
    LimitReachedError when the client's ``network`` asked ``limit`` times at the tenant in the
    hour, whatever it asked for (client_limit.py): the answer tells nothing about accounts."""
    await check_attempts(
        session, tenant_id=tenant.id, attempt=Attempt.FORGOT_PASSWORD, network=network, limit=limit
    )
    await record_attempt(
        session, tenant_id=tenant.id, attempt=Attempt.FORGOT_PASSWORD, network=network, limit=limit
    )
    user = await find_by_identifier(session, tenant.id, identifier)
    if user is None:
        spend_equal_effort()
        return Outcome.NO_ACCOUNT
    return await send_password_link(
        session,
        tenant=tenant,
        user=user,
        process=FORGOT,
        origin=origin,
        language=language,
        application=application,
    )


def page_answer(outcome: Outcome) -> str:
    """The sentence of the logon page: the limit is named, nothing else is revealed."""
    return LIMIT_REACHED if outcome is Outcome.LIMIT_REACHED else FORGOT_PASSWORD_ANSWER


async def user_for_reset_token(session: AsyncSession, *, tenant: Tenant, token: str) -> User:
    """The user a valid, unused reset link belongs to; TokenError otherwise."""
    return await user_for_link(session, tenant=tenant, token=token)


async def reset_password(
    session: AsyncSession, *, tenant: Tenant, token: str, new_password: str
) -> UsedLink:
    """Set the password with a reset link; the link is used up only when the password is set."""
    return await set_password_with_link(
        session, tenant=tenant, token=token, new_password=new_password
    )
