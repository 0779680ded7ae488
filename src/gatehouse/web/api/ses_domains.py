"""``/admin/api/v1/mail-server/ses-domains``: the tenant's own SES sending domains (409 on a
platform without SES)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import ConflictError
from gatehouse.mail import ses
from gatehouse.mail.models import SesDomain
from gatehouse.mail.ses_client import SES_NOT_AVAILABLE, SesClient
from gatehouse.runtime import Runtime
from gatehouse.web.api.auth import ApiCaller, require_client
from gatehouse.web.tenancy import CurrentRuntime, DbSession

router = APIRouter(prefix="/mail-server/ses-domains", tags=["mail-server"])
Caller = Annotated[ApiCaller, require_client(Authorization.MANAGE_TENANT_CONFIGURATION)]


class DnsRecordView(BaseModel):
    type: str
    name: str
    value: str


class DomainView(BaseModel):
    domain: str
    status: str
    records: list[DnsRecordView]
    created_at: datetime
    checked_at: datetime | None


class DomainList(BaseModel):
    domains: list[DomainView]
    platform_domain: str


class NewDomain(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domain: str


def _view(record: SesDomain) -> DomainView:
    return DomainView.model_validate(record, from_attributes=True)


def _client(runtime: Runtime) -> SesClient:
    """409 on a platform without SES: the request is sound, the platform cannot serve it (no
    field of it is wrong, so no 422 naming one)."""
    if not runtime.settings.ses_available:
        raise ConflictError(SES_NOT_AVAILABLE)
    return SesClient(runtime.settings)


@router.get("", response_model=DomainList)
async def list_ses_domains(
    caller: Caller, session: DbSession, runtime: CurrentRuntime
) -> DomainList:
    """The tenant's domains with their DNS records and status (Pending, Verified, Failed)."""
    _client(runtime)
    rows = await ses.list_domains(session, caller.tenant.id)
    return DomainList(
        domains=[_view(r) for r in rows], platform_domain=runtime.settings.ses_default_domain
    )


@router.post("", response_model=DomainView, status_code=201)
async def add_ses_domain(
    body: NewDomain, caller: Caller, session: DbSession, runtime: CurrentRuntime
) -> DomainView:
    """Register a domain (at most 2) and answer the DNS records to publish."""
    record = await ses.add_domain(
        session,
        _client(runtime),
        tenant_id=caller.tenant.id,
        domain=body.domain,
        actor=caller.actor,
        settings=runtime.settings,
    )
    await session.commit()
    return _view(record)


@router.post("/{domain}/verify", response_model=DomainView)
async def verify_ses_domain(
    domain: str, caller: Caller, session: DbSession, runtime: CurrentRuntime
) -> DomainView:
    """Ask SES whether the records are in place: Pending -> Verified (or Failed after 72 h)."""
    record = await ses.verify_domain(
        session, _client(runtime), tenant_id=caller.tenant.id, domain=domain.lower()
    )
    await session.commit()
    return _view(record)


@router.delete("/{domain}", status_code=204)
async def delete_ses_domain(
    domain: str, caller: Caller, session: DbSession, runtime: CurrentRuntime
) -> None:
    """Remove a domain that the configuration does not use."""
    await ses.delete_domain(
        session,
        _client(runtime),
        tenant_id=caller.tenant.id,
        domain=domain.lower(),
        actor=caller.actor,
    )
    await session.commit()
