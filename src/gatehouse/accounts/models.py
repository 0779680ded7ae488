"""Users, administrator authorizations, API clients and their secrets, sessions, single-use link
tokens, and the e-mails counted by the per-user limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.db.base import Base, UtcDateTime, new_id, utcnow
from gatehouse.db.name_keys import keep_name_key
from gatehouse.db.unique import unique_name_index


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
        UniqueConstraint("tenant_id", "login_name", name="uq_users_tenant_login_name"),
        UniqueConstraint("tenant_id", "id", name="uq_users_tenant_id_id"),
        Index("ix_users_tenant_login_key", "tenant_id", "login_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # stored lower-cased
    login_name: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(64), default="")
    last_name: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(10), default="new")  # new | active | inactive
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_logons: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Bumped by lock_user(): the UPDATE that serializes writers of one user (the e-mail limit,
    # the lockout) on PostgreSQL (row lock) and SQLite (write lock) alike.
    lock_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Name keys (db/name_keys.py), kept by the application: the login name's for its check
    # (one per tenant in any case), the full name's for the search.
    login_key: Mapped[str | None] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, server_default="")


keep_name_key(User, "login_key", "login_name")
keep_name_key(User, "name_key", "first_name", "last_name")


class AdminAuthorization(Base):
    """One authorization held by one administrator (a user with at least one is an admin)."""

    __tablename__ = "admin_authorizations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    authorization: Mapped[str] = mapped_column(String(48), primary_key=True)


class ApiClient(Base):
    """A technical administrator ("system") authenticating with client ID and one of its (at
    most two) secrets."""

    __tablename__ = "api_clients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID, the client ID
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    authorizations: Mapped[str] = mapped_column(String(400))  # space-separated slugs
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    name_key: Mapped[str] = mapped_column(Text, server_default="")  # kept by keep_name_key()


keep_name_key(ApiClient, "name_key", "name")
unique_name_index("uq_api_clients_tenant_name_key", ApiClient.tenant_id, ApiClient.name_key)


class ApiClientSecret(Base):
    """One secret of an API client, stored as an argon2 hash; shown once when created."""

    __tablename__ = "api_client_secrets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[str] = mapped_column(String(63))
    secret_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # None: never
    # When a call last authenticated with it (to the minute): which secret a system still uses.
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A server-side, revocable session of the console (``admin``) or end-user pages (``user``).
    Only the token's hash is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    # Signed in with an e-mail code too: what an application asking for one needs.
    email_code_passed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LinkToken(Base):
    """A single-use link (reset password, activation). Only the hash of the token is stored."""

    __tablename__ = "link_tokens"
    __table_args__ = (Index("ix_link_tokens_tenant_user", "tenant_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))  # reset-password | activate-account
    process: Mapped[str | None] = mapped_column(String(32))  # the e-mail that carried the link
    # The application the process started from: a renewed link and the pages after it keep it.
    application_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    renewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # expired; new link sent


class LimitedEmail(Base):
    """One e-mail the per-user limit counted (``counted``) or refused (``refused``). An
    administrator's Reset Counter sets ``cleared_at``; cleared rows no longer count."""

    __tablename__ = "limited_emails"
    __table_args__ = (Index("ix_limited_emails_tenant_user_at", "tenant_id", "user_id", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    process: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(8))  # counted | refused
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    message_id: Mapped[str | None] = mapped_column(String(32))
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
