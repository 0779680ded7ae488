"""How many e-mails to new users a tenant's administrators may have sent in any hour
(``GATEHOUSE_NEW_USER_EMAILS_PER_TENANT_HOUR``, 500): an invitation or a user created in the
console goes to any address typed, with the tenant's own template (an invitation also with
the inviter's name as the caller gives it), and through the platform's servers when the tenant
has none of its own. Without a cap, a tenant's API client could mail anything to thousands of
strangers under the platform's name. Self-registrations have their own limit
(processes/registration_limit.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.base import utcnow
from gatehouse.db.row_lock import lock_rows
from gatehouse.errors import LimitReachedError
from gatehouse.mail.models import OutboxMessage
from gatehouse.tenants.models import Tenant

NEW_USER_PROCESSES = ("invitation", "on-behalf-registration")
WINDOW = timedelta(hours=1)
NEW_USER_EMAILS_LIMITED = (
    "{limit} e-mails to new users were sent for this tenant in the last hour, the most "
    "allowed. Try again later."
)


async def check_new_user_email_allowed(
    session: AsyncSession, *, tenant_id: str, limit: int
) -> None:
    """LimitReachedError when ``tenant_id`` sent ``limit`` invitation and on-behalf
    registration e-mails in the last hour (0: no limit). The tenant's row stays locked until
    the caller's commit, so two requests at once cannot both take the last one."""
    if limit == 0:
        return
    await lock_rows(session, Tenant.display_name, Tenant.id == tenant_id)
    sent = await session.scalar(
        select(func.count()).where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.created_at > utcnow() - WINDOW,
            OutboxMessage.process.in_(NEW_USER_PROCESSES),
        )
    )
    if (sent or 0) >= limit:
        raise LimitReachedError(NEW_USER_EMAILS_LIMITED.format(limit=limit))
