"""What administrators do to users, shared by the console and the REST API: create a user
(with the On-Behalf Registration e-mail; an activation e-mail is sent again on request until
they set a password),
change their login name, names and language, deactivate and activate, the Password Details with
Reset Counter, Send Reset Password Email and unlock, and adding an administrator. Every change
is recorded in the user's change log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts import lockout
from gatehouse.accounts.administrators import change_authorizations
from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.accounts.sessions import end_sessions
from gatehouse.accounts.users import (
    LANGUAGES,
    authorizations_of,
    checked_name,
    create_user,
    find_by_email,
    free_login_name,
    lock_identifiers,
    lock_user,
    status_after_activation,
)
from gatehouse.applications.service import remembered_application
from gatehouse.errors import ConflictError, PermissionDeniedError, ValidationError
from gatehouse.mail.addresses import normalize_email
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.outbox import withdraw_user_mail
from gatehouse.processes import email_limit, email_otp
from gatehouse.processes.activation import (
    INVITATION,
    last_activation_link,
    send_activation,
)
from gatehouse.processes.new_user_limit import check_new_user_email_allowed
from gatehouse.processes.password_links import RESET, Outcome, send_password_link
from gatehouse.processes.user_log import record_user_change
from gatehouse.tenants.models import Tenant

INACTIVE_USER = "The user is inactive. Activate the user first."
OWN_USER = "You cannot deactivate your own user."
ADMIN_NEEDS_TENANT_CONFIGURATION = (
    "Only an administrator with Manage Tenant Configuration can deactivate an administrator."
)
ACTIVATE_ADMIN_NEEDS_TENANT_CONFIGURATION = (
    "Only an administrator with Manage Tenant Configuration can activate an administrator."
)
UNLOCK_ADMIN_NEEDS_TENANT_CONFIGURATION = (
    "Only an administrator with Manage Tenant Configuration can unlock an administrator's password."
)
EDIT_ADMIN_NEEDS_TENANT_CONFIGURATION = (
    "Only an administrator with Manage Tenant Configuration can change an administrator's details."
)
# What an administrator may change of a user (edit_user), in the form's order.
EDITABLE = ("login_name", "first_name", "last_name", "language")
UNLOCK_CODES_ADMIN_NEEDS_TENANT_CONFIGURATION = (
    "Only an administrator with Manage Tenant Configuration can unlock an administrator's "
    "e-mail codes."
)
ALREADY_ADMIN = "{email} is already an administrator. Edit their authorizations instead."
ALREADY_ACTIVATED = "The user has already set a password: send a Reset Password e-mail instead."
NO_AUTHORIZATION = "Choose at least one authorization."


# Values the change log keeps for Send Reset Password Email and Unlock (the console names them).
RESET_EMAIL_QUEUED, RESET_EMAIL_AT_LIMIT = "queued", "not sent: limit reached"
PASSWORD_UNLOCKED = "unlocked"
ACTIVATION_EMAIL_SENT_AGAIN = "sent again"


@dataclass(frozen=True)
class PasswordDetails:
    password_set: bool
    changed_at: datetime | None
    failed_logons: int
    locked_until: datetime | None  # only while locked
    password_reset: email_limit.LimitState
    email_code_locked_until: datetime | None  # 5 wrong e-mail codes; only while locked


async def password_details(session: AsyncSession, user: User) -> PasswordDetails:
    return PasswordDetails(
        password_set=user.password_hash is not None,
        changed_at=user.password_changed_at,
        failed_logons=user.failed_logons,
        locked_until=user.locked_until if lockout.is_locked(user) else None,
        password_reset=await email_limit.limit_state(
            session, tenant_id=user.tenant_id, user_id=user.id
        ),
        email_code_locked_until=(await email_otp.standing(session, user)).locked_until,
    )


async def create_user_on_behalf(
    session: AsyncSession,
    *,
    tenant: Tenant,
    actor: str,
    origin: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    login_name: str | None = None,
    language: str = "en",
    limit: int,
) -> User:
    """A new user awaiting activation, and the On-Behalf Registration e-mail with the link;
    LimitReachedError past ``limit`` such e-mails in the hour (new_user_limit). The input is
    checked first, so a bad field is told as such at the limit too; the caller's rollback then
    drops the user."""
    user = await create_user(
        session,
        tenant_id=tenant.id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        login_name=login_name,
        language=language,
    )
    await check_new_user_email_allowed(session, tenant_id=tenant.id, limit=limit)
    await send_activation(session, tenant=tenant, user=user, origin=origin)
    await record_user_change(session, user, actor, "create", email=user.email, status=user.status)
    return user


async def deactivate_user(
    session: AsyncSession,
    *,
    user: User,
    actor: str,
    actor_user_id: str | None,
    actor_authorizations: frozenset[Authorization],
) -> None:
    """Inactive users cannot sign in and get no e-mails; their sessions end now, and e-mails
    queued for them (a reset link waiting for a retry) are not sent."""
    if user.id == actor_user_id:
        raise ConflictError(OWN_USER)
    await refuse_unless_tenant_configuration(
        session, user, actor_authorizations, ADMIN_NEEDS_TENANT_CONFIGURATION
    )
    if user.status == "inactive":
        return
    await lock_user(session, user.tenant_id, user.id)
    user.status = "inactive"
    await end_sessions(session, tenant_id=user.tenant_id, user_id=user.id)
    await withdraw_user_mail(session, tenant_id=user.tenant_id, user_id=user.id)
    await record_user_change(session, user, actor, "update", status="inactive")
    await session.flush()


async def activate_user(
    session: AsyncSession,
    *,
    user: User,
    actor: str,
    actor_authorizations: frozenset[Authorization],
) -> None:
    """As deactivating: an administrator deactivated by one with Manage Tenant Configuration
    (say, an account taken over) gets the console back only from one with it too."""
    if user.status != "inactive":
        return
    await refuse_unless_tenant_configuration(
        session, user, actor_authorizations, ACTIVATE_ADMIN_NEEDS_TENANT_CONFIGURATION
    )
    user.status = status_after_activation(user)
    await record_user_change(session, user, actor, "update", status=user.status)
    await session.flush()


async def reset_counter(session: AsyncSession, *, user: User, actor: str) -> PasswordDetails:
    """*Reset Counter*: the user's count of limited e-mails goes to zero (409 when inactive)."""
    if user.status == "inactive":
        raise ConflictError(INACTIVE_USER)
    before = await email_limit.reset_counter(session, tenant_id=user.tenant_id, user_id=user.id)
    await record_user_change(
        session, user, actor, "update", password_reset_count=0, previous_count=before
    )
    await session.flush()
    return await password_details(session, user)


async def send_reset_email(
    session: AsyncSession, *, tenant: Tenant, user: User, actor: str, origin: str
) -> Outcome:
    """*Send Reset Password Email*: the Reset Password e-mail, counted by the limit."""
    if user.status == "inactive":
        raise ConflictError(INACTIVE_USER)
    outcome = await send_password_link(
        session, tenant=tenant, user=user, process=RESET, origin=origin, language=user.language
    )
    result = RESET_EMAIL_QUEUED if outcome is Outcome.QUEUED else RESET_EMAIL_AT_LIMIT
    await record_user_change(session, user, actor, "update", reset_password_email=result)
    await session.flush()
    return outcome


async def send_activation_again(
    session: AsyncSession, *, tenant: Tenant, user: User, actor: str, origin: str, limit: int
) -> OutboxMessage:
    """*Send Activation E-Mail Again*: a new activation link for a user who has not set a
    password yet: the first e-mail may have failed while the mail server was configured
    wrongly, or its link expired. While the last activation link is kept (until 30 days after
    it expired), it keeps that link's application (its template set and name, and the logon
    page the activation leads back to), and an invited user gets the Invitation again, from
    the tenant's name (the first inviter's name is not kept); otherwise, and for everyone else,
    the On-Behalf Registration e-mail, as an administrator sends it. ConflictError for an
    inactive or activated user; LimitReachedError past ``limit`` e-mails to new users in the
    hour (new_user_limit), which this one counts against."""
    # The tenant's row before the user's, the order of self-registration's "send it again"
    # (the limit's lock, then the user's): the other order could deadlock with it.
    await lock_identifiers(session, tenant.id)
    await lock_user(session, tenant.id, user.id)  # an activation at the same time comes first
    await session.refresh(user)
    if user.status == "inactive":
        raise ConflictError(INACTIVE_USER)
    if user.status != "new" or user.password_hash is not None:
        raise ConflictError(ALREADY_ACTIVATED)
    await check_new_user_email_allowed(session, tenant_id=tenant.id, limit=limit)
    first = await last_activation_link(session, tenant_id=tenant.id, user_id=user.id)
    application = await remembered_application(
        session, tenant.id, first.application_id if first else None
    )
    if first is not None and first.process == INVITATION:
        message = await send_activation(
            session,
            tenant=tenant,
            user=user,
            origin=origin,
            process=INVITATION,
            application=application,
            inviter_name=tenant.display_name,
        )
    else:
        message = await send_activation(
            session, tenant=tenant, user=user, origin=origin, application=application
        )
    await record_user_change(
        session, user, actor, "update", activation_email=ACTIVATION_EMAIL_SENT_AGAIN
    )
    await session.flush()
    return message


async def edit_user(
    session: AsyncSession,
    *,
    user: User,
    actor: str,
    actor_authorizations: frozenset[Authorization],
    wanted: Mapping[str, str | None],
) -> dict[str, Any]:
    """Change the user's login name, names and language: those of ``EDITABLE`` in ``wanted``,
    checked in the form's order. Returns what changed, as the change log records it.
    ValidationError or ConflictError naming the field; PermissionDeniedError for an
    administrator's details without Manage Tenant Configuration (a login name signs in to the
    console). The address is not here: whoever controls it can reset the password."""
    await refuse_unless_tenant_configuration(
        session, user, actor_authorizations, EDIT_ADMIN_NEEDS_TENANT_CONFIGURATION
    )
    values: dict[str, Any] = {}
    if "login_name" in wanted:
        await lock_identifiers(session, user.tenant_id)  # checked free, then written
        values["login_name"] = await free_login_name(
            session, user.tenant_id, wanted["login_name"], user_id=user.id
        )
    for field in ("first_name", "last_name"):
        if field in wanted:
            values[field] = checked_name(wanted[field] or "", field.replace("_", " "))
    if "language" in wanted:
        if wanted["language"] not in LANGUAGES:
            raise ValidationError("language", f"Choose one of: {', '.join(LANGUAGES)}.")
        values["language"] = wanted["language"]
    changes = {field: value for field, value in values.items() if getattr(user, field) != value}
    if changes:
        for field, value in changes.items():
            setattr(user, field, value)
        await record_user_change(session, user, actor, "update", **changes)
        await session.flush()
    return changes


async def refuse_unless_tenant_configuration(
    session: AsyncSession,
    user: User,
    actor_authorizations: frozenset[Authorization],
    refusal: str,
) -> None:
    """PermissionDeniedError(``refusal``) when ``user`` is an administrator and the actor lacks
    Manage Tenant Configuration: Manage Users must not be a way to act on the console's own
    accounts (give a deactivated one back, or guess a password past its lock)."""
    if (
        Authorization.MANAGE_TENANT_CONFIGURATION not in actor_authorizations
        and await authorizations_of(session, user.tenant_id, user.id)
    ):
        raise PermissionDeniedError(refusal)


async def unlock_password(
    session: AsyncSession,
    *,
    user: User,
    actor: str,
    actor_authorizations: frozenset[Authorization],
) -> None:
    await refuse_unless_tenant_configuration(
        session, user, actor_authorizations, UNLOCK_ADMIN_NEEDS_TENANT_CONFIGURATION
    )
    if await lockout.unlock(session, user):
        await record_user_change(session, user, actor, "update", lockout=PASSWORD_UNLOCKED)


async def unlock_email_codes(
    session: AsyncSession,
    *,
    user: User,
    actor: str,
    actor_authorizations: frozenset[Authorization],
) -> None:
    """End the lock that 5 wrong e-mail codes put on signing in to applications asking for one."""
    await refuse_unless_tenant_configuration(
        session, user, actor_authorizations, UNLOCK_CODES_ADMIN_NEEDS_TENANT_CONFIGURATION
    )
    if await email_otp.unlock(session, user):
        await record_user_change(session, user, actor, "update", email_code_lock=PASSWORD_UNLOCKED)


async def add_administrator(
    session: AsyncSession,
    *,
    tenant: Tenant,
    actor: str,
    actor_user_id: str | None,
    origin: str,
    email: str,
    authorizations: frozenset[Authorization],
    first_name: str = "",
    last_name: str = "",
    limit: int,
) -> tuple[User, bool]:
    """Make an existing user an administrator, or create the user (who gets the activation
    e-mail, within ``limit``: create_user_on_behalf) first. Returns the user and whether they
    were created now."""
    email = normalize_email(email, field="email")  # in the form's order: the address first
    if not authorizations:
        raise ValidationError("authorization", NO_AUTHORIZATION)
    user = await find_by_email(session, tenant.id, email)
    created = user is None
    if user is None:
        user = await create_user_on_behalf(
            session,
            tenant=tenant,
            actor=actor,
            origin=origin,
            email=email,
            first_name=first_name,
            last_name=last_name,
            limit=limit,
        )
    elif await authorizations_of(session, tenant.id, user.id):
        raise ConflictError(ALREADY_ADMIN.format(email=email))
    elif user.status == "inactive":
        raise ConflictError(INACTIVE_USER)
    await change_authorizations(
        session,
        user=user,
        authorizations=authorizations,
        actor=actor,
        actor_user_id=actor_user_id,
    )
    return user, created
