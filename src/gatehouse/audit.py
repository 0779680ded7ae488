"""The change log: who changed which configuration, when, and to what. Secret values are
recorded as "changed", never as themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, new_id, utcnow

SECRET_CHANGED = "changed"


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_tenant_resource_at", "tenant_id", "resource", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(300))  # "user:" or "admin:" and an address
    resource: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


async def record(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    resource: str,
    action: str,
    changes: dict[str, Any],
) -> None:
    session.add(
        AuditEntry(
            tenant_id=tenant_id, actor=actor, resource=resource, action=action, changes=changes
        )
    )


async def entries(
    session: AsyncSession, *, tenant_id: str, resource: str, limit: int = 50
) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id, AuditEntry.resource == resource)
        .order_by(AuditEntry.at.desc())
        .limit(limit)
    )
    return list(rows.all())


async def entries_about(
    session: AsyncSession,
    *,
    tenant_id: str,
    resource: str,
    about: Callable[[AuditEntry], bool],
    limit: int,
    batch: int = 200,
) -> list[AuditEntry]:
    """The newest ``limit`` entries of ``resource`` that are ``about`` one thing (one
    application, one page's switches), read newest first in batches until enough are found:
    taking the resource's newest few and filtering those would show an empty log once other
    things' changes were newer and many."""
    found: list[AuditEntry] = []
    query = (
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id, AuditEntry.resource == resource)
        .order_by(AuditEntry.at.desc(), AuditEntry.id)
        .limit(batch)
    )
    offset = 0
    while len(found) < limit:
        rows = list((await session.scalars(query.offset(offset))).all())
        found.extend(row for row in rows if about(row))
        if len(rows) < batch:
            break
        offset += batch
    return found[:limit]
