"""E-mails with a link that sets a new password: *Forgot Password* (the user asks), *Locked
Password* (five failed logons), *Reset Password* (an administrator asks). Each is counted by the
per-user e-mail limit; its link is single-use and valid for the tenant's setting of its process.

A link that has expired renews itself once: following it sends a new link of the same process
(within the limit) and says so."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import LinkToken, User
from gatehouse.accounts.sessions import end_sessions
from gatehouse.accounts.tokens import (
    RESET_PASSWORD,
    TOKEN_EXPIRED,
    TOKEN_RENEWED,
    TOKEN_USED,
    UsedLink,
    check_current,
    consume_token,
    find_token,
    issue_token,
    mark_renewed,
    peek_token,
)
from gatehouse.accounts.users import get_user, lock_user
from gatehouse.applications.models import Application
from gatehouse.applications.service import remembered_application
from gatehouse.crypto import hash_token, new_token
from gatehouse.errors import TokenError
from gatehouse.mail.outbox import enqueue
from gatehouse.processes.context import user_context
from gatehouse.processes.email_limit import LIMIT_REACHED, take_slot
from gatehouse.processes.user_log import PASSWORD_SET_WITH_LINK, set_own_password
from gatehouse.tenants.link_validity import link_validity
from gatehouse.tenants.models import Tenant

FORGOT, LOCKED, RESET = "forgot-password", "locked-password", "reset-password"
# The placeholder each process's template uses for the link.
LINK_PLACEHOLDERS = {
    FORGOT: "reset_password_link",
    RESET: "reset_password_link",
    LOCKED: "set_locked_password_link",
}
LINK_NOT_VALID = "This link is not valid. Request a new one."
LINK_RENEWED = "This link has expired. We have sent you a new one: check your e-mail."
LINK_EXPIRED_AT_LIMIT = f"This link has expired. {LIMIT_REACHED}"


class Outcome(StrEnum):
    QUEUED = "queued"
    LIMIT_REACHED = "limit-reached"
    NO_ACCOUNT = "no-account"  # unknown or inactive: nothing sent


async def send_password_link(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    process: str,
    origin: str,
    language: str | None = None,
    application: Application | None = None,
) -> Outcome:
    """Queue ``process``'s e-mail with a new single-use link, unless the user is inactive or
    at the limit. Runs inside the caller's transaction, which holds the user's lock after it.
    ``application``: the one the process started from (its template set and name are used)."""
    if process not in LINK_PLACEHOLDERS:
        raise ValueError(f"{process} sends no password link")
    if user.status == "inactive":
        spend_equal_effort()
        return Outcome.NO_ACCOUNT
    slot = await take_slot(session, tenant_id=tenant.id, user_id=user.id, process=process)
    if slot is None:
        spend_equal_effort()
        return Outcome.LIMIT_REACHED
    token = await issue_token(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        purpose=RESET_PASSWORD,
        valid_for=await link_validity(session, tenant.id, process),
        process=process,
        application_id=application.id if application else None,
    )
    link = f"{origin}/reset-password?token={token}"
    message = await enqueue(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        application_id=application.id if application else None,
        process=process,
        language=language or user.language,
        recipient=user.email,
        context=user_context(
            user,
            tenant,
            origin=origin,
            application=application,
            **{LINK_PLACEHOLDERS[process]: link},
        ),
    )
    slot.message_id = message.id
    await session.flush()
    return Outcome.QUEUED


def spend_equal_effort() -> None:
    """The work of a token that is not issued: paths that send nothing cost about the same."""
    hash_token(new_token())


async def user_for_link(session: AsyncSession, *, tenant: Tenant, token: str) -> User:
    """The user a valid, unused password link belongs to; TokenError otherwise."""
    record = await peek_token(session, tenant_id=tenant.id, token=token, purpose=RESET_PASSWORD)
    return await _user_of(session, tenant, record)


async def _user_of(session: AsyncSession, tenant: Tenant, record: LinkToken) -> User:
    """The user of a valid link, if active and the link is newer than their password."""
    user = await get_user(session, tenant.id, record.user_id)
    if user is None or user.status == "inactive":
        raise TokenError(LINK_NOT_VALID)
    check_current(record, user.password_changed_at)
    return user


async def set_password_with_link(
    session: AsyncSession, *, tenant: Tenant, token: str, new_password: str
) -> UsedLink:
    """Set the password with a link; the link is used up only when the password is set. A new
    password also ends a lockout."""
    record = await peek_token(session, tenant_id=tenant.id, token=token, purpose=RESET_PASSWORD)
    # Two links used at once take turns: the second then finds the password newer than it.
    await lock_user(session, tenant.id, record.user_id)
    user = await _user_of(session, tenant, record)
    # Policy errors leave the link usable.
    await set_own_password(session, user, new_password, PASSWORD_SET_WITH_LINK)
    await consume_token(session, tenant_id=tenant.id, token=token, purpose=RESET_PASSWORD)
    # Whoever knew the old password is signed out everywhere (the holder signs in anew).
    await end_sessions(session, tenant_id=tenant.id, user_id=user.id)
    return UsedLink(user, record.application_id)


async def renew_expired_link(
    session: AsyncSession, *, tenant: Tenant, token: str, origin: str, language: str | None
) -> tuple[str, Outcome]:
    """For an expired link: send a new one of the same process, once per link. Returns the
    sentence to show and the outcome; TokenError when the link was not an expired one."""
    record = await find_token(session, tenant_id=tenant.id, token=token, purpose=RESET_PASSWORD)
    if record is None:
        raise TokenError(LINK_NOT_VALID)
    user = await _user_of(session, tenant, record)  # nothing is sent for a superseded link
    # The user's lock first, then the token's row: the order setting a password takes too.
    await lock_user(session, tenant.id, user.id)
    if not await mark_renewed(session, record):
        raise TokenError(await _why_not_renewed(session, tenant, token))
    process = record.process if record.process in LINK_PLACEHOLDERS else FORGOT
    outcome = await send_password_link(  # as the first was: its application, its language rule
        session,
        tenant=tenant,
        user=user,
        process=process,
        origin=origin,
        language=None if process == LOCKED else language,
        application=await remembered_application(session, tenant.id, record.application_id),
    )
    if outcome is Outcome.QUEUED:
        return LINK_RENEWED, outcome
    # Nothing was sent: the link may renew itself once the limit allows it again.
    await session.refresh(record)
    record.renewed_at = None
    await session.flush()
    return LINK_EXPIRED_AT_LIMIT, outcome


async def _why_not_renewed(session: AsyncSession, tenant: Tenant, token: str) -> str:
    """The reason a link found expired could not be marked renewed, read again: another visit
    renewed or used it meanwhile, or it was deleted (the hourly purge of long-expired links,
    or an address change revoking the unused ones)."""
    current = await find_token(
        session, tenant_id=tenant.id, token=token, purpose=RESET_PASSWORD, fresh=True
    )
    if current is None:
        return LINK_NOT_VALID
    if current.used_at is not None:
        return TOKEN_USED
    return TOKEN_RENEWED if current.renewed_at is not None else TOKEN_EXPIRED
