"""Custom template sets and their templates. The built-in Default set has no rows: it lives in
``defaults.py`` and cannot change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, new_id, utcnow
from gatehouse.db.name_keys import keep_name_key
from gatehouse.db.unique import unique_name_index


class TemplateSet(Base):
    """A tenant's own set, created as a copy of Default."""

    __tablename__ = "template_sets"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_template_sets_tenant_name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    name_key: Mapped[str] = mapped_column(Text, server_default="")  # kept by keep_name_key()


keep_name_key(TemplateSet, "name_key", "name")


class EmailTemplate(Base):
    """One template type in one language of one custom set. Stored only after it passed
    ``sandbox.check_template``."""

    __tablename__ = "email_templates"

    set_id: Mapped[str] = mapped_column(
        ForeignKey("template_sets.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


unique_name_index("uq_template_sets_tenant_name_key", TemplateSet.tenant_id, TemplateSet.name_key)
