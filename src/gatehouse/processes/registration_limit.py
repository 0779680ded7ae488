"""The per-client limit of self-registrations: each new address gets an activation e-mail from
the tenant's own sender, so without a limit one client could have the tenant mail thousands of
strangers. At most ``GATEHOUSE_REGISTRATIONS_PER_CLIENT_HOUR`` accepted registrations per tenant
from one client network in any hour, counted in the database so every server process shares it.

A client network is the client's IPv4 address, or the /64 of its IPv6 address (one host
usually holds a whole /64). Behind a proxy the address comes from ``X-Forwarded-For``, which
``gatehouse serve`` trusts from the addresses in ``FORWARDED_ALLOW_IPS`` (default 127.0.0.1)."""

from __future__ import annotations

import ipaddress
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
UNKNOWN_NETWORK = "unknown"


class TooManyRegistrations(Exception):
    """The client's network used up its registrations for the hour."""


def client_network(host: str | None) -> str:
    """The network ``host`` (the request's client address) is counted under."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:  # no address (a test client, a Unix socket): all such count as one
        return UNKNOWN_NETWORK
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


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
