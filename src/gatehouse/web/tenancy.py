"""The Host header picks the tenant: ``<id>.<base domain>`` or one of its custom domains."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.processes.client_limit import client_network
from gatehouse.runtime import Runtime
from gatehouse.tenants.models import Tenant
from gatehouse.tenants.service import tenant_for_host

UNKNOWN_HOST = "There is no tenant at this address."


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def db_session(
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> AsyncIterator[AsyncSession]:
    """One session per request; handlers commit what they change."""
    async with runtime.sessions() as session:
        yield session


async def current_tenant(
    request: Request,
    session: Annotated[AsyncSession, Depends(db_session)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Tenant:
    host = request.headers.get("host", "")
    tenant = await tenant_for_host(session, host, base_domain=runtime.settings.base_domain)
    if tenant is None:
        raise HTTPException(status_code=404, detail=UNKNOWN_HOST)
    request.state.tenant = tenant  # an error page of this request names the tenant
    return tenant


def request_origin(request: Request, runtime: Runtime) -> str:
    """The origin links in e-mails should use: the host the user is on (tenant host or custom
    domain; already validated by current_tenant), with the configured scheme and port."""
    host = request.headers.get("host", "").rsplit(":", 1)[0].lower()
    return runtime.settings.tenant_origin(host)


def request_network(request: Request) -> str:
    """The client network the per-client limits count this request under (client_limit.py);
    the address is uvicorn's, from ``X-Forwarded-For`` when the proxy is trusted."""
    return client_network(request.client.host if request.client else None)


DbSession = Annotated[AsyncSession, Depends(db_session)]
CurrentTenant = Annotated[Tenant, Depends(current_tenant)]
CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]
