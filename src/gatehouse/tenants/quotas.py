"""How many template sets, applications and API clients a tenant may keep. A set holds a copy
of every Default template (some 100 KB), and the pages and API that list them read them all:
without a cap, one administrator's script could grow the shared database without end and
make those pages crawl, for the platform's other tenants too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gatehouse.db.row_lock import lock_rows
from gatehouse.errors import ConflictError
from gatehouse.tenants.models import Tenant

MAX_TEMPLATE_SETS = 50  # the tenant's own; Default is built in
MAX_APPLICATIONS = 100  # the tenant's own; User Profile is built in
MAX_API_CLIENTS = 100
AT_MOST = "A tenant has at most {limit} {things}. Delete one you no longer use first."


async def check_room(
    session: AsyncSession,
    *,
    tenant_id: str,
    key: InstrumentedAttribute[Any],
    where: ColumnElement[bool],
    limit: int,
    things: str,
) -> None:
    """ConflictError when the tenant already has ``limit`` rows of ``key``'s table matching
    ``where``. Under the tenant row's lock, held until the transaction ends, so two requests
    at once cannot both take the last place."""
    await lock_rows(session, Tenant.display_name, Tenant.id == tenant_id)
    count = await session.scalar(select(func.count(key)).where(where))
    if (count or 0) >= limit:
        raise ConflictError(AT_MOST.format(limit=limit, things=things))
