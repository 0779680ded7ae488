"""Security alerts: an e-mail to the account's owner when its password or e-mail address
changed, if the tenant switched the alert on (Tenant Settings > Security Alerts; off by
default). A notice about the account, so it speaks the user's profile language; the e-mail
change alert goes to the old address, which is the one its owner still reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.applications.models import Application
from gatehouse.db.base import utcnow
from gatehouse.mail.outbox import enqueue
from gatehouse.mail.templates.defaults import security_alert_text
from gatehouse.processes.context import user_context
from gatehouse.processes.settings import get_settings
from gatehouse.tenants.models import Tenant

PROCESS = "security-alert"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


async def _send(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    recipient: str,
    text: str,
    origin: str,
    application: Application | None,
) -> None:
    context = user_context(user, tenant, origin=origin, application=application)
    context["other"]["securityAlertText"] = text
    await enqueue(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        application_id=application.id if application else None,
        process=PROCESS,
        language=user.language,
        recipient=recipient,
        context=context,
    )


async def password_changed(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    origin: str,
    application: Application | None = None,
) -> bool:
    """Queue the alert when the switch is on; True when queued."""
    if not (await get_settings(session, tenant.id)).alert_password_changed:
        return False
    text = security_alert_text("password-changed", user.language, when=_when(utcnow()))
    await _send(
        session,
        tenant=tenant,
        user=user,
        recipient=user.email,
        text=text,
        origin=origin,
        application=application,
    )
    return True


async def email_changed(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    old_email: str,
    origin: str,
    application: Application | None = None,
) -> bool:
    """Queue the alert to the old address when the switch is on; True when queued."""
    if not (await get_settings(session, tenant.id)).alert_email_changed:
        return False
    text = security_alert_text(
        "email-changed", user.language, old=old_email, new=user.email, when=_when(utcnow())
    )
    await _send(
        session,
        tenant=tenant,
        user=user,
        recipient=old_email,
        text=text,
        origin=origin,
        application=application,
    )
    return True
