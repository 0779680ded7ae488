"""Forgot password: a single-use reset link by e-mail, and setting the new password with it.

The answer never reveals whether an account exists: unknown and inactive identifiers take the
same path, including the cost of a hash and a token."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.passwords import DUMMY_HASH, verify_password
from gatehouse.accounts.tokens import RESET_PASSWORD, consume_token, issue_token, peek_token
from gatehouse.accounts.users import find_by_identifier, get_user, set_password
from gatehouse.crypto import hash_token, new_token
from gatehouse.errors import TokenError
from gatehouse.mail.outbox import enqueue
from gatehouse.processes.context import user_context
from gatehouse.tenants.models import Tenant

RESET_LINK_VALIDITY = timedelta(hours=2)
FORGOT_PASSWORD_ANSWER = (
    "If an account exists, an email with a link to reset your password has been sent."
)


async def request_reset(
    session: AsyncSession, *, tenant: Tenant, identifier: str, origin: str, language: str | None
) -> bool:
    """Queue the reset e-mail when the identifier names an active or new user. True when an
    e-mail was queued (for logs and tests; never shown to the requester)."""
    user = await find_by_identifier(session, tenant.id, identifier)
    if user is None or user.status == "inactive":
        _spend_equal_effort()
        return False
    token = await issue_token(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        purpose=RESET_PASSWORD,
        valid_for=RESET_LINK_VALIDITY,
    )
    link = f"{origin}/reset-password?token={token}"
    await enqueue(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        process="forgot-password",
        language=language or user.language,
        recipient=user.email,
        context=user_context(user, tenant, origin=origin, reset_password_link=link),
    )
    return True


def _spend_equal_effort() -> None:
    # The found-user path creates a token and an outbox row; this keeps timing comparable.
    hash_token(new_token())
    verify_password(DUMMY_HASH, "not-the-password")


async def user_for_reset_token(session: AsyncSession, *, tenant: Tenant, token: str) -> User:
    """The user a valid, unused reset link belongs to; TokenError otherwise."""
    record = await peek_token(session, tenant_id=tenant.id, token=token, purpose=RESET_PASSWORD)
    user = await get_user(session, tenant.id, record.user_id)
    if user is None or user.status == "inactive":
        raise TokenError("This link is not valid. Request a new one.")
    return user


async def reset_password(
    session: AsyncSession, *, tenant: Tenant, token: str, new_password: str
) -> User:
    """Set the password with a reset link; the link is used up only when the password is set."""
    user = await user_for_reset_token(session, tenant=tenant, token=token)
    set_password(user, new_password)  # policy errors leave the link usable
    await consume_token(session, tenant_id=tenant.id, token=token, purpose=RESET_PASSWORD)
    return user
