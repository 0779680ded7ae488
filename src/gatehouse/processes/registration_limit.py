"""The per-client limit of self-registrations: each new address gets an activation e-mail from
the tenant's own sender, so without a limit one client could have the tenant mail thousands of
strangers. At most ``GATEHOUSE_REGISTRATIONS_PER_CLIENT_HOUR`` accepted registrations per tenant
from one client network in any hour, counted in the database so every server process shares it.

The client network is client_limit.client_network's (an IPv4 address, an IPv6 /64)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.users import lock_identifiers
from gatehouse.db.base import utcnow
from gatehouse.processes.models import RegistrationRequest

WINDOW = timedelta(hours=1)
TOO_MANY_REGISTRATIONS = (
    "Too many registrations came from your network in the last hour. Try again later."
)


class TooManyRegistrations(Exception):
    """The client's network used up its registrations for the hour."""


async def admit_registration(
    session: AsyncSession, *, tenant_id: str, network: str, limit: int
) -> None:
    """Count one registration of ``network`` at ``tenant_id``, or TooManyRegistrations when
    ``limit`` were counted in the last hour (0: no limit). Counted in the caller's
    transaction, one registration of the tenant at a time, so two at once cannot both take
    the last one; a refused registration is not counted."""
    if limit <= 0:
        return
    now = utcnow()
    await lock_identifiers(session, tenant_id)  # registration takes this lock anyway
    await session.execute(
        delete(RegistrationRequest).where(
            RegistrationRequest.tenant_id == tenant_id,
            RegistrationRequest.created_at <= now - WINDOW,
        )
    )
    counted = await session.scalar(
        select(func.count(RegistrationRequest.id)).where(
            RegistrationRequest.tenant_id == tenant_id,
            RegistrationRequest.network == network,
            RegistrationRequest.created_at > now - WINDOW,
        )
    )
    if (counted or 0) >= limit:
        raise TooManyRegistrations(TOO_MANY_REGISTRATIONS)
    session.add(RegistrationRequest(tenant_id=tenant_id, network=network, created_at=now))
    await session.flush()
