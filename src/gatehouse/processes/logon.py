"""Logon with lockout: failed logons of an existing user are counted; the fifth in a row locks
the password for 60 minutes and queues the *Locked Password* e-mail (counted by the e-mail
limit) with a link to set a new password.

While the password is locked, every password is refused alike, the right one too: an answer
that told the right password apart would let a guesser go on guessing through the lock and
learn which guess was right. The logon page reveals nothing about accounts either: a locked
account answers as an unknown one does. Failed logons are counted per client network too, so
one client cannot lock out a whole tenant (client_limit.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts import lockout
from gatehouse.accounts.models import User
from gatehouse.accounts.passwords import verify_password_off_loop
from gatehouse.accounts.users import find_by_identifier, lock_user
from gatehouse.applications.models import Application
from gatehouse.processes.client_limit import Attempt, check_attempts, record_attempt
from gatehouse.processes.password_links import LOCKED, Outcome, send_password_link
from gatehouse.tenants.models import Tenant


@dataclass(frozen=True)
class LogonResult:
    user: User | None  # the signed-in user, else None
    mail_queued: bool = False  # this logon queued the Locked Password e-mail


async def log_on(
    session: AsyncSession,
    *,
    tenant: Tenant,
    identifier: str,
    password: str,
    origin: str,
    network: str,
    limit: int,
    application: Application | None = None,
) -> LogonResult:
    """Check the password and keep the lockout's count; the caller commits either way.
    LimitReachedError, before any password is checked, when the client's ``network`` failed
    ``limit`` logons at the tenant in the hour (client_limit.py); a failure counts one more.
    ``application``: the one whose logon page this is (a Locked Password e-mail uses its
    template set and name, and its link leads back there)."""
    await check_attempts(
        session, tenant_id=tenant.id, attempt=Attempt.FAILED_LOGON, network=network, limit=limit
    )
    result = await _log_on(session, tenant, identifier, password, origin, application)
    if result.user is None:
        await record_attempt(
            session, tenant_id=tenant.id, attempt=Attempt.FAILED_LOGON, network=network, limit=limit
        )
    return result


async def _log_on(
    session: AsyncSession,
    tenant: Tenant,
    identifier: str,
    password: str,
    origin: str,
    application: Application | None,
) -> LogonResult:
    user = await find_by_identifier(session, tenant.id, identifier)
    if user is None:
        await verify_password_off_loop(None, password)  # an unknown account costs the same
        return LogonResult(None)
    return await check_password(
        session,
        tenant=tenant,
        user=user,
        password=password,
        origin=origin,
        application=application,
    )


async def check_password(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    password: str,
    origin: str,
    application: Application | None = None,
) -> LogonResult:
    """``user``'s password, checked as a logon checks it: at signing in, and when a signed-in
    user confirms theirs (changing the password or the address), so a session in someone
    else's hands cannot guess it without the lockout. The caller commits either way."""
    # Verified in every case, so a locked account costs the same time.
    checked_hash = user.password_hash
    ok = await verify_password_off_loop(checked_hash, password)
    if _refused(user):
        return LogonResult(None)
    # ``user`` was read before the check, which takes tens of milliseconds: logons sent at
    # once would all see the password unlocked and be decided on that. Decide on the user as
    # it is now, with its other logons waiting (each then sees what this one decides).
    await lock_user(session, user.tenant_id, user.id)
    await session.refresh(user)
    if user.password_hash != checked_hash:  # changed meanwhile: the new one decides
        ok = await verify_password_off_loop(user.password_hash, password)
    if _refused(user):
        return LogonResult(None)
    if ok:
        await lockout.record_success(session, user)
        return LogonResult(user)
    if not await lockout.record_failure(session, user):
        return LogonResult(None)
    outcome = await send_password_link(
        session,
        tenant=tenant,
        user=user,
        process=LOCKED,
        origin=origin,
        language=user.language,
        application=application,
    )
    return LogonResult(None, mail_queued=outcome is Outcome.QUEUED)


def _refused(user: User) -> bool:
    """Every password is refused alike for an inactive user or a locked password."""
    return user.status != "active" or lockout.is_locked(user)
