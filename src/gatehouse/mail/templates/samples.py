"""Sample values for previewing a template and for the test of one template: every placeholder
of the type filled in, links that point at the tenant but carry no working token."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.base import utcnow
from gatehouse.mail.addresses import normalize_email
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.mail.templates.defaults import security_alert_text
from gatehouse.mail.test_limit import check_test_email_allowed
from gatehouse.tenants.models import Tenant

SAMPLE_TOKEN = "sample-link-not-valid"


def sample_context(
    *, language: str, sp_name: str, origin: str, recipient: str, inviter_name: str
) -> dict[str, Any]:
    """Values for every placeholder of every type."""
    when = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    return {
        "user": {
            "firstName": "Alex",
            "lastName": "Example",
            "mail": recipient,
            "loginName": "alex.example",
            "uid": "0f3c9a1e5b7d4c2a8e6f1b3d5a7c9e21",
            "sp_name": sp_name,
            "ids_home_link": f"{origin}/",
            "company_logo": "",
            "header": "",
            "footer": "",
            "reset_password_link": f"{origin}/reset-password?token={SAMPLE_TOKEN}",
            "activate_account_link": f"{origin}/activate?token={SAMPLE_TOKEN}",
            "set_locked_password_link": f"{origin}/reset-password?token={SAMPLE_TOKEN}",
            "target_url": f"{origin}/",
            "inviter_name": inviter_name,
        },
        "other": {
            "emailOtpCode": "40718253",
            "securityAlertText": security_alert_text("password-changed", language, when=when),
            "totpResetPasscode": "903174",
        },
    }


async def queue_sample_email(
    session: AsyncSession,
    *,
    tenant: Tenant,
    set_id: str,
    slug: str,
    language: str,
    recipient: str,
    origin: str,
    inviter_name: str,
    limit: int,
) -> OutboxMessage:
    """The test of one template: the set's template (with the usual fallback) rendered with
    sample values, queued like every other e-mail, ``limit`` tests an hour at most for the
    tenant (mail/test_limit.py). The caller commits and wakes the worker."""
    recipient = normalize_email(recipient, field="to")
    await check_test_email_allowed(session, tenant_id=tenant.id, limit=limit)
    return await enqueue(
        session,
        tenant_id=tenant.id,
        process=slug,
        language=language,
        template_set_id=set_id,
        recipient=recipient,
        context=sample_context(
            language=language,
            sp_name=tenant.display_name,
            origin=origin,
            recipient=recipient,
            inviter_name=inviter_name,
        ),
    )
