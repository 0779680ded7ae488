"""The change log: who changed which configuration, when, and to what. Secret values are
recorded as "changed", never as themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, select
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
    session: AsyncSession,
    *,
    tenant_id: str,
    resource: str,
    limit: int = 50,
    about: ColumnElement[bool] | None = None,
) -> list[AuditEntry]:
    """The newest ``limit`` entries of ``resource``; ``about``: only those it matches (one
    application's, one page's switches), chosen by the database: taking the resource's newest
    few and filtering them showed an empty log once other things' changes were many."""
    query = select(AuditEntry).where(
        AuditEntry.tenant_id == tenant_id, AuditEntry.resource == resource
    )
    if about is not None:
        query = query.where(about)
    rows = await session.scalars(query.order_by(AuditEntry.at.desc()).limit(limit))
    return list(rows.all())


def mentions(key: str) -> ColumnElement[bool]:
    """Entries whose changes have ``key`` (SQLite and PostgreSQL alike: absent is NULL)."""
    return cast(ColumnElement[bool], AuditEntry.changes[key].as_string().is_not(None))


def mentions_value(key: str, value: str) -> ColumnElement[bool]:
    """Entries whose changes have ``key`` equal to ``value``."""
    return cast(ColumnElement[bool], AuditEntry.changes[key].as_string() == value)
