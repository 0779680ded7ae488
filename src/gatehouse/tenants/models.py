"""Tenants, their custom domains, and their link validity settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, utcnow


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(50))
    region: Mapped[str] = mapped_column(String(40), default="Local (embedded)")
    license_type: Mapped[str] = mapped_column(String(20), default="test")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TenantDomain(Base):
    """A custom domain served like the tenant's own host."""

    __tablename__ = "tenant_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LinkValidity(Base):
    """How long the links of one e-mail process stay valid in one tenant. No row: the default."""

    __tablename__ = "link_validities"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    process: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[int] = mapped_column()
    unit: Mapped[str] = mapped_column(String(5))  # hours | days
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
