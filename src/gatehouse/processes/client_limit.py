"""Per-client limits of what anyone can try without an account: failed logons (end-user pages
and the console) and forgot-password requests (page and REST), per tenant and client network
in any hour, counted in the database so every server process shares them.

The lockout locks a password after five failed logons in a row, and a user gets three password
e-mails a day: without a brake per client, one client could keep every user of a tenant
locked out and without a reset link, and spend the servers' CPU on password hashes. A network
past its limit is refused before any password is checked (the right one too: else guessing
would go on), with an answer that tells nothing about accounts. Self-registrations have their
own limit (registration_limit.py); the client network is counted alike.

A client network is the client's IPv4 address, or the /64 of its IPv6 address (one host
usually holds a whole /64). Behind a proxy the address comes from ``X-Forwarded-For``, which
``gatehouse serve`` trusts from the addresses in ``FORWARDED_ALLOW_IPS`` (default 127.0.0.1)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.base import utcnow
from gatehouse.errors import LimitReachedError
from gatehouse.processes.models import ClientAttempt

WINDOW = timedelta(hours=1)
UNKNOWN_NETWORK = "unknown"


class Attempt(StrEnum):
    FAILED_LOGON = "failed-logon"
    FORGOT_PASSWORD = "forgot-password"
    MAIL_SERVER_CHECK = "server-check"  # counted per tenant (mail/check_limit.py)


REFUSALS = {
    Attempt.FAILED_LOGON: (
        "Too many failed sign-ins came from your network in the last hour. Try again later."
    ),
    Attempt.FORGOT_PASSWORD: (
        "Too many password resets were asked for from your network in the last hour. "
        "Try again later."
    ),
    Attempt.MAIL_SERVER_CHECK: (
        "The mail server settings were checked too often for this tenant in the last hour. "
        "Try again later."
    ),
}


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


async def check_attempts(
    session: AsyncSession, *, tenant_id: str, attempt: Attempt, network: str, limit: int
) -> None:
    """LimitReachedError (the attempt's refusal) when ``network`` made ``limit`` such attempts
    at ``tenant_id`` in the last hour (0: no limit)."""
    if limit <= 0:
        return
    counted = await session.scalar(
        select(func.count(ClientAttempt.id)).where(
            ClientAttempt.tenant_id == tenant_id,
            ClientAttempt.kind == attempt.value,
            ClientAttempt.network == network,
            ClientAttempt.created_at > utcnow() - WINDOW,
        )
    )
    if (counted or 0) >= limit:
        raise LimitReachedError(REFUSALS[attempt])


async def record_attempt(
    session: AsyncSession, *, tenant_id: str, attempt: Attempt, network: str, limit: int
) -> None:
    """Count one attempt of ``network`` (none with no limit), in the caller's transaction.
    Rows out of the hour are deleted by the workers' hourly housekeeping (housekeeping.py)."""
    if limit <= 0:
        return
    session.add(ClientAttempt(tenant_id=tenant_id, kind=attempt.value, network=network))
    await session.flush()
