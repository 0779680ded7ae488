"""State of the e-mail processes: the tenant's switches (self-registration, security alerts),
the e-mail one-time codes of the second factor, the self-registrations each client made, and
the failed logons and forgot-password requests each client made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, new_id, utcnow


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


class RegistrationRequest(Base):
    """One self-registration a tenant accepted, by the client's network: what the per-client
    limit counts. Rows older than the limit's hour are deleted as new ones come."""

    __tablename__ = "registration_requests"
    __table_args__ = (Index("ix_registration_requests_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClientAttempt(Base):
    """One attempt a per-client limit counts (processes/client_limit.py): a failed logon or a
    forgot-password request, by tenant and client network. Rows out of the limits' hour are
    deleted by the workers' hourly housekeeping."""

    __tablename__ = "client_attempts"
    __table_args__ = (
        Index("ix_client_attempts_count", "tenant_id", "kind", "network", "created_at"),
        Index("ix_client_attempts_created", "created_at"),  # the hourly purge's
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
