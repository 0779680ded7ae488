"""Imports every model so that Alembic and create_all see the whole schema."""

from gatehouse.accounts.models import AdminAuthorization, ApiClient, LinkToken, User, WebSession
from gatehouse.audit import AuditEntry
from gatehouse.db.base import Base
from gatehouse.mail.models import DeliveryAttempt, MailServerConfig, OutboxMessage
from gatehouse.tenants.models import Tenant, TenantDomain

__all__ = [
    "AdminAuthorization",
    "ApiClient",
    "AuditEntry",
    "Base",
    "DeliveryAttempt",
    "LinkToken",
    "MailServerConfig",
    "OutboxMessage",
    "Tenant",
    "TenantDomain",
    "User",
    "WebSession",
]
