"""Logon with lockout: failed logons of an existing user are counted; the fifth in a row locks
the password for 60 minutes and queues the *Locked Password* e-mail (counted by the e-mail
limit) with a link to set a new password.

Whether a password is locked is told only to someone who typed the correct password, so the
logon page still reveals nothing about accounts to a guesser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts import lockout
from gatehouse.accounts.models import User
from gatehouse.accounts.passwords import verify_password_off_loop
from gatehouse.accounts.users import find_by_identifier
from gatehouse.mail.models import OutboxMessage
from gatehouse.processes.password_links import LOCKED, Outcome, send_password_link
from gatehouse.tenants.models import Tenant


@dataclass(frozen=True)
class LogonResult:
    user: User | None  # the signed-in user, else None
    locked_until: datetime | None = None  # set when the password was right but is locked
    mail_queued: bool = False  # this logon queued the Locked Password e-mail
    lock_mailed: bool = False  # the lock told of (locked_until) queued it when it began

    def locked_message(self) -> str:
        """Speaks of the e-mail only if one was queued: at the e-mail limit, none was."""
        until = self.locked_until.strftime("%H:%M UTC") if self.locked_until else ""
        if not self.lock_mailed:
            return f"Your password is locked after too many failed logons. Try again after {until}."
        return (
            "Your password is locked after too many failed logons. Use the link in the e-mail "
            f"we sent you to set a new password, or try again after {until}."
        )


async def log_on(
    session: AsyncSession, *, tenant: Tenant, identifier: str, password: str, origin: str
) -> LogonResult:
    """Check the password and keep the lockout's count; the caller commits either way."""
    user = await find_by_identifier(session, tenant.id, identifier)
    ok = await verify_password_off_loop(user.password_hash if user else None, password)
    if user is None or user.status != "active":
        return LogonResult(None)
    if lockout.is_locked(user):
        if not ok:
            return LogonResult(None)
        mailed = await _locked_email_queued(session, user)
        return LogonResult(None, locked_until=user.locked_until, lock_mailed=mailed)
    if ok:
        await lockout.record_success(session, user)
        return LogonResult(user)
    if not await lockout.record_failure(session, user):
        return LogonResult(None)
    outcome = await send_password_link(
        session, tenant=tenant, user=user, process=LOCKED, origin=origin, language=user.language
    )
    return LogonResult(None, mail_queued=outcome is Outcome.QUEUED)


async def _locked_email_queued(session: AsyncSession, user: User) -> bool:
    """Whether this lock queued the Locked Password e-mail (not at the e-mail limit)."""
    assert user.locked_until is not None
    locked_at = user.locked_until - lockout.LOCK_DURATION
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.tenant_id == user.tenant_id,
            OutboxMessage.user_id == user.id,
            OutboxMessage.process == LOCKED,
            OutboxMessage.created_at >= locked_at,
        )
        .limit(1)
    )
    return found is not None
