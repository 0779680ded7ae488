"""Outbox messages and their delivery attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, new_id, utcnow

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


class OutboxMessage(Base):
    """One e-mail to one recipient. ``context`` holds what the template needs (links included);
    it is erased once the message is sent or failed."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_tenant_created", "tenant_id", "created_at"),
        # The hourly limits' counts of a few processes (mail/hourly_limit.py).
        Index("ix_outbox_tenant_process_created", "tenant_id", "process", "created_at"),
        # One user's e-mails: the last activation e-mail, withdrawing them on deactivation.
        Index("ix_outbox_tenant_user_created", "tenant_id", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(32))
    process: Mapped[str] = mapped_column(String(32))  # template type slug, e.g. forgot-password
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The application the process started from (its template set is resolved at send time),
    # and a set chosen explicitly (the test of one template); both empty: User Profile's set.
    application_id: Mapped[str | None] = mapped_column(String(32))
    template_set_id: Mapped[str | None] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    context: Mapped[dict[str, str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeliveryAttempt(Base):
    """One try at sending one message, recorded before the send and completed after it."""

    __tablename__ = "delivery_attempts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[str] = mapped_column(String(63))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column()
    transport: Mapped[str] = mapped_column(String(16))
    server: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|retry|failed
    step: Mapped[str | None] = mapped_column(String(16))
    reply_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)


class MailServerConfig(Base):
    """A tenant's one mail configuration (the primary key makes it one per tenant). No row means
    the platform default. ``password_encrypted`` is write-only: it never leaves the server."""

    __tablename__ = "mail_server_configs"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(10))  # custom | ses
    host: Mapped[str] = mapped_column(String(253), default="")
    port: Mapped[int] = mapped_column(default=0)
    security: Mapped[str] = mapped_column(String(10), default="ssl")  # ssl | starttls
    authentication: Mapped[str] = mapped_column(String(10), default="none")  # none | password
    username: Mapped[str | None] = mapped_column(String(256))
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    sender_email: Mapped[str] = mapped_column(String(254))
    sender_name: Mapped[str] = mapped_column(String(100), default="")
    reply_to: Mapped[str | None] = mapped_column(String(254))
    rate_limit_per_minute: Mapped[int | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)  # bumped on every change
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class SesDomain(Base):
    """A tenant's own sending domain in the platform's SES account. A domain belongs to one
    tenant only (unique), or another tenant could send as it."""

    __tablename__ = "ses_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|verified|failed
    records: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
