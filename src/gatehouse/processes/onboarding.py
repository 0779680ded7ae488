"""Creating a tenant with its first administrator, and the demo tenant of dev mode."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.authorizations import ALL_AUTHORIZATIONS
from gatehouse.accounts.models import User
from gatehouse.accounts.users import create_user, set_authorizations
from gatehouse.processes.activation import send_activation
from gatehouse.settings import Settings
from gatehouse.tenants.models import Tenant
from gatehouse.tenants.service import create_tenant, tenant_host


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    admin: User


async def onboard_tenant(
    session: AsyncSession,
    *,
    settings: Settings,
    display_name: str,
    admin_email: str,
    tenant_id: str | None = None,
    admin_password: str | None = None,
) -> NewTenant:
    """The tenant and its first administrator (all authorizations). Without a password the
    administrator gets an activation e-mail whose link lands on the tenant's host."""
    tenant = await create_tenant(session, display_name=display_name, tenant_id=tenant_id)
    admin = await create_user(
        session, tenant_id=tenant.id, email=admin_email, password=admin_password
    )
    await set_authorizations(session, tenant.id, admin.id, ALL_AUTHORIZATIONS)
    if admin_password is None:
        origin = settings.tenant_origin(tenant_host(tenant, base_domain=settings.base_domain))
        await send_activation(session, tenant=tenant, user=admin, origin=origin)
    return NewTenant(tenant=tenant, admin=admin)
