"""``/admin/api/v1/applications``: the built-in User Profile and the tenant's own applications,
each with the template set its e-mails use (``template_set_id``) and the e-mail second factor.
Manage Applications; every query is scoped to the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from gatehouse.accounts.authorizations import Authorization
from gatehouse.applications import service as applications
from gatehouse.applications.models import Application
from gatehouse.web.api.auth import ApiCaller, require_client
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/applications", tags=["applications"])
Caller = Annotated[ApiCaller, require_client(Authorization.MANAGE_APPLICATIONS)]


class ApplicationView(BaseModel):
    id: str
    name: str
    home_url: str
    builtin: bool
    template_set_id: str = Field(description="'default' or the ID of a custom template set")
    email_otp: bool = Field(description="Ask for a one-time code by e-mail after the password")
    logon_url: str


class ApplicationList(BaseModel):
    applications: list[ApplicationView]


class ApplicationInput(BaseModel):
    """Lengths are the service's rules, so POST and PUT refuse the same name or URL alike."""

    model_config = ConfigDict(extra="forbid")
    name: str
    home_url: str


class ApplicationChange(BaseModel):
    """What to change; omitted fields stay as they are. ``email_otp`` is a JSON boolean: lax
    parsing stored ``"yes"`` or ``1`` as true."""

    model_config = ConfigDict(extra="forbid")
    template_set_id: str | None = Field(default=None, max_length=32)
    name: str | None = None
    home_url: str | None = None
    email_otp: StrictBool | None = None


def _view(application: Application, origin: str) -> ApplicationView:
    builtin = applications.is_builtin(application)
    return ApplicationView(
        id=application.id,
        name=application.name,
        home_url=application.home_url,
        builtin=builtin,
        template_set_id=application.template_set_id,
        email_otp=application.email_otp,
        logon_url=f"{origin}/" if builtin else f"{origin}/?app={application.id}",
    )


@router.get("", response_model=ApplicationList)
async def list_applications(
    request: Request, caller: Caller, session: DbSession, runtime: CurrentRuntime
) -> ApplicationList:
    origin = request_origin(request, runtime)
    rows = await applications.list_applications(session, caller.tenant.id)
    return ApplicationList(applications=[_view(a, origin) for a in rows])


@router.post("", response_model=ApplicationView, status_code=201)
async def create_application(
    body: ApplicationInput,
    request: Request,
    caller: Caller,
    session: DbSession,
    runtime: CurrentRuntime,
) -> ApplicationView:
    created = await applications.create_application(
        session,
        tenant_id=caller.tenant.id,
        name=body.name,
        home_url=body.home_url,
        actor=caller.actor,
    )
    await session.commit()
    return _view(created, request_origin(request, runtime))


@router.get("/{application_id}", response_model=ApplicationView)
async def get_application(
    application_id: str,
    request: Request,
    caller: Caller,
    session: DbSession,
    runtime: CurrentRuntime,
) -> ApplicationView:
    found = await applications.require_application(session, caller.tenant.id, application_id)
    return _view(found, request_origin(request, runtime))


@router.put("/{application_id}", response_model=ApplicationView)
async def put_application(
    application_id: str,
    body: ApplicationChange,
    request: Request,
    caller: Caller,
    session: DbSession,
    runtime: CurrentRuntime,
) -> ApplicationView:
    """Assign a template set (``default`` or a custom set's ID; 422 for another tenant's or an
    unknown one), rename, change the home URL or the e-mail second factor."""
    changed = await applications.update_application(
        session,
        tenant_id=caller.tenant.id,
        application_id=application_id,
        actor=caller.actor,
        **body.model_dump(exclude_none=True),
    )
    await session.commit()
    return _view(changed, request_origin(request, runtime))


@router.delete("/{application_id}", status_code=204)
async def delete_application(application_id: str, caller: Caller, session: DbSession) -> Response:
    """409 for the built-in User Profile."""
    await applications.delete_application(
        session, tenant_id=caller.tenant.id, application_id=application_id, actor=caller.actor
    )
    await session.commit()
    return Response(status_code=204)
