"""How often a tenant may have a custom mail server checked (saved or tested, in the console
or the API): ``GATEHOUSE_MAIL_SERVER_CHECKS_PER_TENANT_HOUR`` (60) in any hour. A check
connects from the platform to any public host and port the tenant types and reports each
step (name lookup, connection refused or timed out, the certificate's issuer and names):
without a cap, a tenant could scan and fingerprint the internet from the platform's address.
Counted in ``client_attempts``, as the per-client limits are, with the whole tenant as one
client."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.processes.client_limit import Attempt, check_attempts, record_attempt

WHOLE_TENANT = "tenant"  # the network column's value: every administrator and API client alike


async def count_check(session: AsyncSession, *, tenant_id: str, limit: int) -> None:
    """LimitReachedError when the tenant's mail server was checked ``limit`` times in the last
    hour (0: no limit); else count this check, in the caller's transaction."""
    check = Attempt.MAIL_SERVER_CHECK
    for step in (check_attempts, record_attempt):
        await step(session, tenant_id=tenant_id, attempt=check, network=WHOLE_TENANT, limit=limit)
