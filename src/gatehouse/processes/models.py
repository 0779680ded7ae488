"""State of the e-mail processes: the tenant's switches (self-registration, security alerts)
and the e-mail one-time codes of the second factor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, utcnow


class ProcessSettings(Base):
    """A tenant's switches; no row means all off (the reference's defaults)."""

    __tablename__ = "process_settings"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    self_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_password_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_email_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class EmailOtpCode(Base):
    """The current e-mail code of one user (only its hash), its wrong attempts and lock."""

    __tablename__ = "email_otp_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
