"""Imports every model so that Alembic and create_all see the whole schema."""

from gatehouse.accounts.models import (
    AdminAuthorization,
    ApiClient,
    ApiClientSecret,
    LimitedEmail,
    LinkToken,
    User,
    WebSession,
)
from gatehouse.applications.models import Application
from gatehouse.audit import AuditEntry
from gatehouse.db.base import Base
from gatehouse.mail.models import DeliveryAttempt, MailServerConfig, OutboxMessage
from gatehouse.mail.templates.models import EmailTemplate, TemplateSet
from gatehouse.processes.models import (
    ClientAttempt,
    EmailOtpCode,
    ProcessSettings,
    RegistrationRequest,
)
from gatehouse.tenants.models import LinkValidity, Tenant, TenantDomain

__all__ = [
    "AdminAuthorization",
    "ApiClient",
    "ApiClientSecret",
    "Application",
    "AuditEntry",
    "Base",
    "ClientAttempt",
    "DeliveryAttempt",
    "EmailOtpCode",
    "EmailTemplate",
    "LimitedEmail",
    "LinkToken",
    "LinkValidity",
    "MailServerConfig",
    "OutboxMessage",
    "ProcessSettings",
    "RegistrationRequest",
    "TemplateSet",
    "Tenant",
    "TenantDomain",
    "User",
    "WebSession",
]
