"""How many e-mails of one kind a tenant may have queued in any hour: the kinds that go to any
address an administrator types (test e-mails: mail/test_limit.py; e-mails to new users:
processes/new_user_limit.py). Counted in the outbox under a lock of the tenant's row, held
until the caller's commit, so two requests at once, in any process, cannot both take the
last one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.base import utcnow
from gatehouse.db.row_lock import lock_rows
from gatehouse.errors import LimitReachedError
from gatehouse.mail.models import OutboxMessage
from gatehouse.tenants.models import Tenant

WINDOW = timedelta(hours=1)


async def check_hourly_limit(
    session: AsyncSession,
    *,
    tenant_id: str,
    limit: int,
    kind: ColumnElement[bool],
    refusal: str,
) -> None:
    """LimitReachedError(``refusal`` with ``{limit}`` filled in) when ``tenant_id`` queued
    ``limit`` e-mails of ``kind`` in the last hour (0: no limit)."""
    if limit == 0:
        return
    await lock_rows(session, Tenant.display_name, Tenant.id == tenant_id)
    queued = await session.scalar(
        select(func.count()).where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.created_at > utcnow() - WINDOW,
            kind,
        )
    )
    if (queued or 0) >= limit:
        raise LimitReachedError(refusal.format(limit=limit))
