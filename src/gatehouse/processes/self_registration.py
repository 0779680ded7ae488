"""Self-registration on the logon page (when the tenant allows it): a new user awaiting
activation and the *Self-Registration* e-mail with the activation link.

The page answers the same whether or not the address already has an account, so registration
cannot be used to discover accounts; an account in use gets no e-mail. One still awaiting
activation gets the e-mail again (its first may have been lost), three times a day at most."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.users import checked_names, create_user, find_by_identifier, lock_user
from gatehouse.applications.models import Application
from gatehouse.db.base import utcnow
from gatehouse.mail.addresses import normalize_email
from gatehouse.mail.models import OutboxMessage
from gatehouse.processes.activation import send_activation
from gatehouse.processes.registration_limit import admit_registration
from gatehouse.tenants.models import Tenant

PROCESS = "self-registration"
REGISTRATION_ANSWER = (
    "Thank you. If this address can be registered, an e-mail with a link to activate your "
    "account is on its way to it."
)
REGISTRATION_CLOSED = "Self-registration is not open for this tenant."
# Self-Registration e-mails to one address awaiting activation in any 24 hours, the first
# included: enough for a lost e-mail, too few to flood someone's mailbox.
SENDS_PER_DAY = 3


async def register(
    session: AsyncSession,
    *,
    tenant: Tenant,
    application: Application | None,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    origin: str,
    network: str,
    limit: int,
) -> bool:
    """Create the user and queue the e-mail; False (nothing queued) when the address belongs
    to a user already, unless that user still awaits activation (within ``SENDS_PER_DAY``).
    ValidationError for a malformed address or name; TooManyRegistrations when the client's
    ``network`` made ``limit`` registrations in the last hour (counted whether or not the
    address has an account, so the limit tells nothing about accounts)."""
    email = normalize_email(email, field="email")  # the form's order: the address first
    # Every check of the names before the address is looked up: one that only a new user's
    # creation made would refuse a new address and pass a known one, telling them apart.
    checked_names(first_name, last_name)
    await admit_registration(session, tenant_id=tenant.id, network=network, limit=limit)
    existing = await find_by_identifier(session, tenant.id, email)
    if existing is not None:
        return await _send_again(
            session, tenant=tenant, application=application, user=existing, origin=origin
        )
    user = await create_user(
        session,
        tenant_id=tenant.id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    await send_activation(
        session, tenant=tenant, user=user, origin=origin, process=PROCESS, application=application
    )
    return True


async def _send_again(
    session: AsyncSession,
    *,
    tenant: Tenant,
    application: Application | None,
    user: User,
    origin: str,
) -> bool:
    """The e-mail again for a user who never activated (no password yet); False otherwise, or
    when ``SENDS_PER_DAY`` went out in the last 24 hours."""
    if user.status != "new" or user.password_hash is not None:
        return False
    await lock_user(session, tenant.id, user.id)  # two registrations at once count as two
    sent = await session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.tenant_id == tenant.id,
            OutboxMessage.user_id == user.id,
            OutboxMessage.process == PROCESS,
            OutboxMessage.created_at > utcnow() - timedelta(hours=24),
        )
    )
    if (sent or 0) >= SENDS_PER_DAY:
        return False
    await send_activation(
        session, tenant=tenant, user=user, origin=origin, process=PROCESS, application=application
    )
    return True
