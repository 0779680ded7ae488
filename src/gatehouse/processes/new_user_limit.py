"""How many e-mails to new users a tenant's administrators may have sent in any hour
(``GATEHOUSE_NEW_USER_EMAILS_PER_TENANT_HOUR``, 500): an invitation or a user created in the
console (and the activation e-mail sent again to one) goes to any address typed, with the
tenant's own template (an invitation also with the inviter's name as the caller gives it), and
through the platform's servers when the tenant has none of its own. Without a cap, a tenant's
API client could mail anything to thousands of strangers under the platform's name.
Self-registrations have their own limit (processes/registration_limit.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.mail.hourly_limit import check_hourly_limit
from gatehouse.mail.models import OutboxMessage

NEW_USER_PROCESSES = ("invitation", "on-behalf-registration")
NEW_USER_EMAILS_LIMITED = (
    "{limit} e-mails to new users were sent for this tenant in the last hour, the most "
    "allowed. Try again later."
)


async def check_new_user_email_allowed(
    session: AsyncSession, *, tenant_id: str, limit: int
) -> None:
    """LimitReachedError when ``tenant_id`` sent ``limit`` invitation and on-behalf
    registration e-mails in the last hour (0: no limit), under mail/hourly_limit.py's lock."""
    await check_hourly_limit(
        session,
        tenant_id=tenant_id,
        limit=limit,
        kind=OutboxMessage.process.in_(NEW_USER_PROCESSES),
        refusal=NEW_USER_EMAILS_LIMITED,
    )
