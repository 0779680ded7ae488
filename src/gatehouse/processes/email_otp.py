"""E-mail one-time code, the optional second factor of an application: after the password, an
8-digit code by e-mail (*Email OTP Code*), valid 10 minutes. A new code can be asked for 3
minutes after the last one; 5 wrong codes lock sign-in by e-mail code for 60 minutes.

Only the code's hash is stored. Every decision runs after ``lock_user`` in the caller's
transaction, so parallel requests of one user count every wrong code exactly once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.users import lock_user
from gatehouse.applications.models import Application
from gatehouse.crypto import hash_token, tokens_equal
from gatehouse.db.base import utcnow
from gatehouse.mail.outbox import enqueue
from gatehouse.processes.context import user_context
from gatehouse.processes.models import EmailOtpCode
from gatehouse.tenants.models import Tenant

PROCESS = "email-otp"
CODE_DIGITS = 8
CODE_VALIDITY = timedelta(minutes=10)
RESEND_AFTER = timedelta(minutes=3)
MAX_WRONG_CODES = 5
LOCK_DURATION = timedelta(minutes=60)

CODE_WRONG = "The code is not correct. {left} left."
CODE_MALFORMED = "Enter the 8 digits of the code from the e-mail."
CODE_EXPIRED = "The code has expired. Ask for a new code."
CODE_LOCKED = "Too many wrong codes: signing in with an e-mail code is locked until {until}."


class OtpError(Exception):
    """The code was refused; ``message`` is for the user, ``reason`` names the case (wrong,
    expired, malformed, locked) for the page that shows it again after a redirect."""

    def __init__(self, message: str, *, reason: str = "wrong") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class OtpLocked(OtpError):
    def __init__(self, until: datetime) -> None:
        super().__init__(locked_message(until), reason="locked")
        self.until = until


def locked_message(until: datetime) -> str:
    return CODE_LOCKED.format(until=until.strftime("%H:%M UTC"))


def wrong_message(attempts_left: int) -> str:
    return CODE_WRONG.format(left=f"{attempts_left} attempt{'' if attempts_left == 1 else 's'}")


@dataclass(frozen=True)
class Standing:
    """Where a user's e-mail codes stand: locked until when (None: not locked), and how many
    wrong codes are left before they lock."""

    locked_until: datetime | None
    attempts_left: int


async def standing(session: AsyncSession, user: User) -> Standing:
    """Read only: what the code page tells the user after a refused code."""
    row = await session.get(EmailOtpCode, (user.tenant_id, user.id), populate_existing=True)
    if row is None:
        return Standing(None, MAX_WRONG_CODES)
    if row.locked_until is not None:
        if row.locked_until > utcnow():
            return Standing(row.locked_until, 0)
        return Standing(None, MAX_WRONG_CODES)  # the lock ran out: the count starts afresh
    return Standing(None, MAX_WRONG_CODES - row.failed_attempts)


async def unlock(session: AsyncSession, user: User) -> bool:
    """An administrator's unlock of sign-in by e-mail code; True when it was locked."""
    await lock_user(session, user.tenant_id, user.id)
    row = await session.get(EmailOtpCode, (user.tenant_id, user.id), populate_existing=True)
    if row is None or row.locked_until is None or row.locked_until <= utcnow():
        return False
    row.locked_until, row.failed_attempts = None, 0
    await session.flush()
    return True


@dataclass(frozen=True)
class Issued:
    sent: bool  # a new code is in the outbox; False: the current one stays in force
    issued_at: datetime


def mask_address(email: str) -> str:
    """``j***@demo.test``: enough for the user to recognise, little for an onlooker."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _hash(user: User, code: str) -> str:
    return hash_token(f"{user.tenant_id}:{user.id}:{code}")


async def _state(session: AsyncSession, user: User) -> EmailOtpCode:
    await lock_user(session, user.tenant_id, user.id)
    row = await session.get(EmailOtpCode, (user.tenant_id, user.id), populate_existing=True)
    if row is None:
        row = EmailOtpCode(tenant_id=user.tenant_id, user_id=user.id, failed_attempts=0)
        session.add(row)
    now = utcnow()
    if row.locked_until is not None:
        if row.locked_until > now:
            raise OtpLocked(row.locked_until)
        row.locked_until, row.failed_attempts = None, 0
    return row


async def issue_code(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    application: Application | None,
    origin: str,
    language: str | None,
    force: bool = False,
) -> Issued:
    """Queue a new code, unless the current one is younger than 3 minutes (then it stays in
    force and nothing is sent). ``force`` is for a fresh sign-in after an expired code.
    OtpLocked while locked."""
    row = await _state(session, user)
    now = utcnow()
    young = (
        row.code_hash is not None
        and row.issued_at is not None
        and row.expires_at is not None
        and now - row.issued_at < RESEND_AFTER
        and row.expires_at > now
    )
    if young and not force and row.issued_at is not None:
        return Issued(sent=False, issued_at=row.issued_at)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row.code_hash, row.issued_at, row.expires_at = _hash(user, code), now, now + CODE_VALIDITY
    context = user_context(user, tenant, origin=origin, application=application)
    context["other"]["emailOtpCode"] = code
    await enqueue(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        application_id=application.id if application else None,
        process=PROCESS,
        language=language or user.language,
        recipient=user.email,
        context=context,
    )
    await session.flush()
    return Issued(sent=True, issued_at=now)


async def verify_code(session: AsyncSession, *, user: User, code: str) -> None:
    """Accept the code (it is used up) or raise OtpError; the caller commits either way, so
    wrong codes are counted."""
    row = await _state(session, user)
    now = utcnow()
    if row.code_hash is None or row.expires_at is None or row.expires_at <= now:
        raise OtpError(CODE_EXPIRED, reason="expired")
    code = "".join(code.split())
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        # A slip, not a guess: no attempt is spent on it.
        raise OtpError(CODE_MALFORMED, reason="malformed")
    if tokens_equal(_hash(user, code), row.code_hash):
        row.code_hash, row.failed_attempts = None, 0
        await session.flush()
        return
    row.failed_attempts += 1
    if row.failed_attempts >= MAX_WRONG_CODES:
        row.locked_until, row.code_hash = now + LOCK_DURATION, None
        await session.flush()
        raise OtpLocked(row.locked_until)
    await session.flush()
    raise OtpError(wrong_message(MAX_WRONG_CODES - row.failed_attempts))
