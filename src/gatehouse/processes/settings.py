"""The tenant's process switches: self-registration on the logon page, and the security alerts
(password changed, e-mail changed). All off until an administrator turns them on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.db.base import utcnow
from gatehouse.processes.models import ProcessSettings

RESOURCE = "process-settings"
SWITCHES = {
    "self_registration": "Self-registration",
    "alert_password_changed": "Security alert: password changed",
    "alert_email_changed": "Security alert: e-mail changed",
}


async def get_settings(session: AsyncSession, tenant_id: str) -> ProcessSettings:
    """The tenant's switches; an unsaved all-off object when it never changed them."""
    row = await session.get(ProcessSettings, tenant_id)
    if row is None:
        row = ProcessSettings(
            tenant_id=tenant_id,
            self_registration=False,
            alert_password_changed=False,
            alert_email_changed=False,
            updated_by="",
        )
    return row


async def save_settings(
    session: AsyncSession, *, tenant_id: str, actor: str, **switches: bool
) -> ProcessSettings:
    """Set the given switches (names from ``SWITCHES``); the change log records what changed."""
    unknown = set(switches) - set(SWITCHES)
    if unknown:
        raise ValueError(f"unknown switches: {sorted(unknown)}")
    row = await get_settings(session, tenant_id)
    changes: dict[str, Any] = {
        name: value for name, value in switches.items() if getattr(row, name) != value
    }
    if not changes:
        return row
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at, row.updated_by = utcnow(), actor
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        resource=RESOURCE,
        action="update",
        changes=changes,
    )
    return row
