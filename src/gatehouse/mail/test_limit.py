"""How many test e-mails a tenant's administrators may send in any hour
(``GATEHOUSE_TEST_EMAILS_PER_TENANT_HOUR``, 20): a test goes to any address the administrator
types, with the tenant's own template, and through the platform's servers when the tenant has
none of its own. Without a cap, a tenant could send anything to anyone under the platform's
name and reputation. The operator's ``gatehouse mail send-test`` is not counted against it."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.mail.hourly_limit import check_hourly_limit
from gatehouse.mail.models import OutboxMessage

TEST_EMAIL_PROCESS = "test-email"
TEST_EMAILS_LIMITED = (
    "{limit} test e-mails were sent for this tenant in the last hour, the most allowed. "
    "Try again later."
)
# The mail server's test, and the test of one template (its set chosen explicitly).
TEST_EMAILS = or_(
    OutboxMessage.process == TEST_EMAIL_PROCESS, OutboxMessage.template_set_id.is_not(None)
)


async def check_test_email_allowed(session: AsyncSession, *, tenant_id: str, limit: int) -> None:
    """LimitReachedError when ``tenant_id`` sent ``limit`` test e-mails in the last hour (0:
    no limit), under mail/hourly_limit.py's lock."""
    await check_hourly_limit(
        session, tenant_id=tenant_id, limit=limit, kind=TEST_EMAILS, refusal=TEST_EMAILS_LIMITED
    )
