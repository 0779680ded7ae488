"""A tenant's rate limit (e-mails per minute), enforced when messages are claimed, so it holds
across any number of worker processes: in any 60 seconds, the attempts started plus the messages
in flight never exceed the limit. On PostgreSQL the claim locks the tenants' configuration rows
first (``affinity.lock_tenants``), so two workers cannot both take the last slot."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.mail.models import SENDING, DeliveryAttempt, MailServerConfig, OutboxMessage

WINDOW = timedelta(seconds=60)


async def allowances(
    session: AsyncSession,
    now: datetime,
    *,
    tenant_ids: Iterable[str] | None = None,
) -> dict[str, int]:
    """How many more messages each rate-limited tenant may start now (absent: no limit)."""
    limits_query = select(MailServerConfig.tenant_id, MailServerConfig.rate_limit_per_minute).where(
        MailServerConfig.rate_limit_per_minute.is_not(None)
    )
    if tenant_ids is not None:
        limits_query = limits_query.where(MailServerConfig.tenant_id.in_(list(tenant_ids)))
    limits = {row[0]: int(row[1] or 0) for row in await session.execute(limits_query)}
    if not limits:
        return {}
    started = await session.execute(
        select(DeliveryAttempt.tenant_id, func.count())
        .where(
            DeliveryAttempt.tenant_id.in_(list(limits)),
            DeliveryAttempt.started_at > now - WINDOW,
        )
        .group_by(DeliveryAttempt.tenant_id)
    )
    in_flight = await session.execute(
        select(OutboxMessage.tenant_id, func.count())
        .where(
            OutboxMessage.tenant_id.in_(list(limits)),
            OutboxMessage.status == SENDING,
            OutboxMessage.lease_until >= now,
        )
        .group_by(OutboxMessage.tenant_id)
    )
    used: dict[str, int] = dict.fromkeys(limits, 0)
    for tenant_id, count in [*started, *in_flight]:
        used[tenant_id] += int(count)
    return {tenant_id: limit - used[tenant_id] for tenant_id, limit in limits.items()}


def trim(claimable: list[tuple[str, str]], allowed: dict[str, int]) -> list[tuple[str, str]]:
    """Keep, per rate-limited tenant, no more (message, tenant) pairs than it is allowed."""
    left = dict(allowed)
    kept = []
    for message_id, tenant_id in claimable:
        if tenant_id in left:
            if left[tenant_id] <= 0:
                continue
            left[tenant_id] -= 1
        kept.append((message_id, tenant_id))
    return kept
