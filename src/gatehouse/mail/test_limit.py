"""How many test e-mails a tenant's administrators may send in any hour
(``GATEHOUSE_TEST_EMAILS_PER_TENANT_HOUR``, 20): a test goes to any address the administrator
types, with the tenant's own template, and through the platform's servers when the tenant has
none of its own. Without a cap, a tenant could send anything to anyone under the platform's
name and reputation. The operator's ``gatehouse mail send-test`` is not counted against it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.base import utcnow
from gatehouse.db.row_lock import lock_rows
from gatehouse.errors import LimitReachedError
from gatehouse.mail.models import OutboxMessage
from gatehouse.tenants.models import Tenant

TEST_EMAIL_PROCESS = "test-email"
WINDOW = timedelta(hours=1)
TEST_EMAILS_LIMITED = (
    "{limit} test e-mails were sent for this tenant in the last hour, the most allowed. "
    "Try again later."
)


async def check_test_email_allowed(session: AsyncSession, *, tenant_id: str, limit: int) -> None:
    """LimitReachedError when ``tenant_id`` sent ``limit`` test e-mails in the last hour (0:
    no limit). The tenant's row stays locked until the caller's commit, so two tests at once
    cannot both take the last one."""
    if limit == 0:
        return
    await lock_rows(session, Tenant.display_name, Tenant.id == tenant_id)
    sent = await session.scalar(
        select(func.count()).where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.created_at > utcnow() - WINDOW,
            # The mail server's test, and the test of one template (its set chosen explicitly).
            or_(
                OutboxMessage.process == TEST_EMAIL_PROCESS,
                OutboxMessage.template_set_id.is_not(None),
            ),
        )
    )
    if (sent or 0) >= limit:
        raise LimitReachedError(TEST_EMAILS_LIMITED.format(limit=limit))
