"""The demo tenant of dev mode: tenant ``demo``, administrator ``admin@demo.test`` and user
``jane@demo.test``, with fixed passwords printed at start-up and in the README."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.users import create_user
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.settings import Settings
from gatehouse.tenants.models import Tenant

DEMO_TENANT_ID = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.test"
DEMO_USER_EMAIL = "jane@demo.test"
# Public demo credentials, dev mode only.
DEMO_ADMIN_PASSWORD = "Demo-Admin-2026"
DEMO_USER_PASSWORD = "Demo-Jane-2026"


async def ensure_demo(session: AsyncSession, *, settings: Settings) -> bool:
    """Create the demo data if it is missing; True when it was created now."""
    if await session.get(Tenant, DEMO_TENANT_ID) is not None:
        return False
    new = await onboard_tenant(
        session,
        settings=settings,
        display_name="Demo Tenant",
        admin_email=DEMO_ADMIN_EMAIL,
        tenant_id=DEMO_TENANT_ID,
        admin_password=DEMO_ADMIN_PASSWORD,
    )
    new.admin.first_name, new.admin.last_name = "Ada", "Admin"
    await create_user(
        session,
        tenant_id=DEMO_TENANT_ID,
        email=DEMO_USER_EMAIL,
        first_name="Jane",
        last_name="Doe",
        password=DEMO_USER_PASSWORD,
    )
    return True
