"""HTTP Basic authentication of API clients, scoped to the tenant of the host.

A browser that once signed in to the API (its Basic prompt) sends those credentials with
every request to the host, also with a request another site's page makes it send: a POST
without a body needs no JSON and no custom header. So a changing request a browser marks as
coming from another site (``Sec-Fetch-Site``, or ``Origin`` where that is missing) is refused
before the credentials are looked at. Programs send neither header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import (
    authenticate_client,
    client_authorizations,
    note_secret_used,
)
from gatehouse.accounts.models import ApiClient
from gatehouse.tenants.models import Tenant
from gatehouse.web.tenancy import CurrentRuntime, CurrentTenant, DbSession

basic = HTTPBasic(realm="Gatehouse admin API", auto_error=False)
BAD_CREDENTIALS = "Invalid client ID or secret."
# The 403 answer names the authorizations' slugs, as `client create --authorization` takes them.
FORBIDDEN = "This client lacks the authorization this endpoint needs"
CROSS_SITE = "The API does not take changes sent by another site's page."
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests a page of another origin made: same-site is another
# subdomain of the same site, such as another tenant's host.
OTHER_SITES = frozenset({"cross-site", "same-site"})


@dataclass(frozen=True)
class ApiCaller:
    client: ApiClient
    tenant: Tenant
    authorizations: frozenset[Authorization]

    @property
    def actor(self) -> str:
        return f"client:{self.client.id} ({self.client.name})"


def from_another_site(request: Request) -> bool:
    """Whether a browser says another site's page sent ``request``."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in OTHER_SITES
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin).hostname != request.url.hostname  # "null" (a sandbox) included


async def current_client(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> ApiCaller:
    if request.method not in SAFE_METHODS and from_another_site(request):
        raise HTTPException(status_code=403, detail=CROSS_SITE)
    found = None
    if credentials is not None:
        found = await authenticate_client(
            session,
            tenant_id=tenant.id,
            client_id=credentials.username,
            secret=credentials.password,
        )
    if found is None:
        raise HTTPException(
            status_code=401, detail=BAD_CREDENTIALS, headers={"WWW-Authenticate": "Basic"}
        )
    await note_secret_used(runtime.sessions, found.secret)
    client = found.client
    return ApiCaller(client=client, tenant=tenant, authorizations=client_authorizations(client))


def forbidden(needed: tuple[Authorization, ...]) -> str:
    """The 403 answer, naming the authorizations any of which opens the endpoint."""
    return f"{FORBIDDEN}: {' or '.join(a.value for a in needed)}."


def require_client(*needed: Authorization) -> object:
    """A dependency admitting clients holding any of ``needed`` (403 otherwise)."""

    async def check(caller: Annotated[ApiCaller, Depends(current_client)]) -> ApiCaller:
        if not any(a in caller.authorizations for a in needed):
            raise HTTPException(status_code=403, detail=forbidden(needed))
        return caller

    return Depends(check)
