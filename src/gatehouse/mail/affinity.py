"""A tenant with its own mail server is served by one worker at a time, so its connection cap
(MAX_CONNECTIONS_PER_TENANT, default 2: providers such as Microsoft 365 refuse more) holds
across any number of worker processes, not per process. Another worker takes the tenant over
once the first has no message of it in hand, or its leases have expired (it died).

Tenants on the platform default server or on SES are shared freely: the platform's own
server is sized by the operator (DEFAULT_MAX_CONNECTIONS per worker), and SES is an HTTP API.

On PostgreSQL the tenants' configuration rows are locked (in one order, so two workers cannot
deadlock) before the check, so two workers claiming at once cannot both take a tenant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.mail.models import SENDING, MailServerConfig, OutboxMessage


def held_elsewhere(owner: str, now: datetime) -> Select[str]:
    """Tenants with their own server whose messages another worker is sending now."""
    return (
        select(OutboxMessage.tenant_id)
        .join(MailServerConfig, MailServerConfig.tenant_id == OutboxMessage.tenant_id)
        .where(
            MailServerConfig.mode == "custom",
            OutboxMessage.status == SENDING,
            OutboxMessage.lease_until >= now,
            OutboxMessage.lease_owner != owner,
        )
        .distinct()
    )


async def lock_tenants(session: AsyncSession, tenant_ids: Iterable[str]) -> None:
    """Lock the tenants' configuration rows until the claim commits (PostgreSQL): who serves
    each tenant, and how much of its rate limit is left, are then decided by one claim at a
    time."""
    await session.execute(
        select(MailServerConfig.tenant_id)
        .where(MailServerConfig.tenant_id.in_(sorted(set(tenant_ids))))
        .order_by(MailServerConfig.tenant_id)
        .with_for_update()
    )


async def busy_tenants(
    session: AsyncSession, owner: str, now: datetime, tenant_ids: Iterable[str]
) -> set[str]:
    """Which of ``tenant_ids`` another worker holds now (checked again under the locks)."""
    query = held_elsewhere(owner, now).where(OutboxMessage.tenant_id.in_(list(tenant_ids)))
    return set((await session.scalars(query)).all())
