"""Imports every model so that Alembic and create_all see the whole schema."""

from gatehouse.accounts.models import AdminAuthorization, ApiClient, LinkToken, User, WebSession
from gatehouse.db.base import Base
from gatehouse.mail.models import DeliveryAttempt, OutboxMessage
from gatehouse.tenants.models import Tenant, TenantDomain

__all__ = [
    "AdminAuthorization",
    "ApiClient",
    "Base",
    "DeliveryAttempt",
    "LinkToken",
    "OutboxMessage",
    "Tenant",
    "TenantDomain",
    "User",
    "WebSession",
]
