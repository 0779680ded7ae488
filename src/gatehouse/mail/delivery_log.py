"""What administrators see of their tenant's mail: messages with their attempts, and hourly
counts of sent, retried and failed attempts. Every query is scoped by tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.base import utcnow
from gatehouse.errors import ValidationError
from gatehouse.mail.models import FAILED, QUEUED, SENDING, SENT, DeliveryAttempt, OutboxMessage

STATUSES = (QUEUED, SENDING, SENT, FAILED)
PAGE_SIZE = 25


@dataclass(frozen=True)
class MessagePage:
    messages: list[OutboxMessage]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class HourCounts:
    hour: datetime
    sent: int
    retried: int
    failed: int


async def list_messages(
    session: AsyncSession,
    *,
    tenant_id: str,
    status: str | None = None,
    recipient: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> MessagePage:
    """Newest first; ``recipient`` matches part of the address, case-insensitively. A page
    beyond the last is empty (a client paging until it finds none stops there)."""
    if status and status not in STATUSES:
        raise ValidationError("status", f"Choose one of: {', '.join(STATUSES)}.")
    conditions = [OutboxMessage.tenant_id == tenant_id]
    if status:
        conditions.append(OutboxMessage.status == status)
    if recipient:
        conditions.append(
            OutboxMessage.recipient.contains(recipient.strip().lower(), autoescape=True)
        )
    total = int(await session.scalar(select(func.count()).where(*conditions)) or 0)
    pages = max(1, -(-total // page_size))
    page = max(1, page)
    if page > pages:  # no query: an offset past 2**63 is more than the database takes
        return MessagePage([], total, page, pages)
    rows = await session.scalars(
        select(OutboxMessage)
        .where(*conditions)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return MessagePage(list(rows.all()), total, page, pages)


async def find_message(
    session: AsyncSession, *, tenant_id: str, message_id: str
) -> OutboxMessage | None:
    """One of the tenant's messages (another tenant's ID finds nothing)."""
    return await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.tenant_id == tenant_id, OutboxMessage.id == message_id
        )
    )


async def get_message(
    session: AsyncSession, *, tenant_id: str, message_id: str
) -> tuple[OutboxMessage, list[DeliveryAttempt]] | None:
    message = await find_message(session, tenant_id=tenant_id, message_id=message_id)
    if message is None:
        return None
    attempts = await session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.tenant_id == tenant_id, DeliveryAttempt.message_id == message_id)
        .order_by(DeliveryAttempt.started_at)
    )
    return message, list(attempts.all())


async def hourly_counts(
    session: AsyncSession, *, tenant_id: str, hours: int = 24, now: datetime | None = None
) -> list[HourCounts]:
    """Attempts per outcome in each of the last ``hours`` hours, oldest first."""
    end = (now or utcnow()).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    rows = await session.execute(
        select(DeliveryAttempt.started_at, DeliveryAttempt.outcome).where(
            DeliveryAttempt.tenant_id == tenant_id, DeliveryAttempt.started_at >= start
        )
    )
    buckets = [HourCounts(start + timedelta(hours=n), 0, 0, 0) for n in range(hours)]
    counts = [[0, 0, 0] for _ in range(hours)]
    index = {"sent": 0, "retry": 1, "failed": 2}
    for started_at, outcome in rows:
        slot = int((started_at - start).total_seconds() // 3600)
        if 0 <= slot < hours and outcome in index:
            counts[slot][index[outcome]] += 1
    return [HourCounts(b.hour, *c) for b, c in zip(buckets, counts, strict=True)]
