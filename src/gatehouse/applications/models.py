"""Applications of a tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, utcnow
from gatehouse.db.name_keys import keep_name_key
from gatehouse.db.unique import unique_name_index


class Application(Base):
    """One application. The built-in User Profile (id ``user-profile``) has a row only once
    something about it was changed; until then it is the default one in memory.
    ``template_set_id`` is ``default`` or a custom set's ID (no foreign key: Default has no row;
    a set in use cannot be deleted)."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_applications_tenant_name"),)

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    home_url: Mapped[str] = mapped_column(String(2000), default="")
    template_set_id: Mapped[str] = mapped_column(String(32), default="default")
    email_otp: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    name_key: Mapped[str] = mapped_column(Text, server_default="")  # kept by keep_name_key()


keep_name_key(Application, "name_key", "name")
unique_name_index("uq_applications_tenant_name_key", Application.tenant_id, Application.name_key)
