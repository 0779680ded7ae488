"""How often a tenant may have a custom mail server checked (saved or tested, in the console
or the API): ``GATEHOUSE_MAIL_SERVER_CHECKS_PER_TENANT_HOUR`` (60) in any hour. A check
connects from the platform to any public host and port the tenant types and reports each
step (name lookup, connection refused or timed out, the certificate's issuer and names):
without a cap, a tenant could scan and fingerprint the internet from the platform's address.
Counted in ``client_attempts``, as the per-client limits are, with the whole tenant as one
client."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.row_lock import lock_rows
from gatehouse.processes.client_limit import Attempt, check_attempts, record_attempt
from gatehouse.tenants.models import Tenant

WHOLE_TENANT = "tenant"  # the network column's value: every administrator and API client alike


async def count_check(session: AsyncSession, *, tenant_id: str, limit: int) -> None:
    """LimitReachedError when the tenant's mail server was checked ``limit`` times in the last
    hour (0: no limit); else count this check, in the caller's transaction, which commits it
    at once. Under the tenant row's lock, so checks sent at once cannot all pass the count."""
    if limit <= 0:
        return
    await lock_rows(session, Tenant.display_name, Tenant.id == tenant_id)
    check, tenant = Attempt.MAIL_SERVER_CHECK, WHOLE_TENANT
    await check_attempts(session, tenant_id=tenant_id, attempt=check, network=tenant, limit=limit)
    await record_attempt(session, tenant_id=tenant_id, attempt=check, network=tenant, limit=limit)
