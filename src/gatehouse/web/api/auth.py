"""HTTP Basic authentication of API clients, scoped to the tenant of the host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import authenticate_client, client_authorizations
from gatehouse.accounts.models import ApiClient
from gatehouse.tenants.models import Tenant
from gatehouse.web.tenancy import CurrentTenant, DbSession

basic = HTTPBasic(realm="Gatehouse admin API", auto_error=False)
BAD_CREDENTIALS = "Invalid client ID or secret."
FORBIDDEN = "This client lacks the authorization this endpoint needs."


@dataclass(frozen=True)
class ApiCaller:
    client: ApiClient
    tenant: Tenant
    authorizations: frozenset[Authorization]

    @property
    def actor(self) -> str:
        return f"client:{self.client.id} ({self.client.name})"


async def current_client(
    session: DbSession,
    tenant: CurrentTenant,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> ApiCaller:
    client = None
    if credentials is not None:
        client = await authenticate_client(
            session,
            tenant_id=tenant.id,
            client_id=credentials.username,
            secret=credentials.password,
        )
    if client is None:
        raise HTTPException(
            status_code=401, detail=BAD_CREDENTIALS, headers={"WWW-Authenticate": "Basic"}
        )
    return ApiCaller(client=client, tenant=tenant, authorizations=client_authorizations(client))


def require_client(*needed: Authorization) -> object:
    """A dependency admitting clients holding any of ``needed`` (403 otherwise)."""

    async def check(caller: Annotated[ApiCaller, Depends(current_client)]) -> ApiCaller:
        if not any(a in caller.authorizations for a in needed):
            raise HTTPException(status_code=403, detail=FORBIDDEN)
        return caller

    return Depends(check)
