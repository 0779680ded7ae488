"""``/admin/api/v1/invitations``: invite a person by e-mail (Manage Users). A new user awaiting
activation gets the *Invitation* e-mail in the given language, with the template set of the
given application (User Profile's by default) and the inviter's name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from gatehouse.accounts.authorizations import Authorization
from gatehouse.applications import service as applications
from gatehouse.errors import NotFoundError, ValidationError
from gatehouse.processes import invitation
from gatehouse.web.api.auth import ApiCaller, require_client
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/invitations", tags=["invitations"])
Caller = Annotated[ApiCaller, require_client(Authorization.MANAGE_USERS)]


class InvitationInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    first_name: str = Field(default="", max_length=64)
    last_name: str = Field(default="", max_length=64)
    language: str = Field(default="en", description="The invitee's profile language")
    application_id: str = Field(default=applications.USER_PROFILE_ID)
    inviter_name: str = Field(default="", max_length=100, description="Default: the client's name")


class InvitationAnswer(BaseModel):
    user_id: str
    email: str
    status: str
    message_id: str


@router.post(
    "",
    response_model=InvitationAnswer,
    status_code=201,
    responses={
        409: {"description": "The address already belongs to a user"},
        429: {"description": "The tenant's e-mails to new users in the last hour are at the limit"},
    },
)
async def invite(
    body: InvitationInput,
    request: Request,
    caller: Caller,
    session: DbSession,
    runtime: CurrentRuntime,
) -> InvitationAnswer:
    """409 when the address already belongs to a user of the tenant; 429 past the tenant's
    e-mails to new users in the hour (GATEHOUSE_NEW_USER_EMAILS_PER_TENANT_HOUR)."""
    try:
        application = await applications.require_application(
            session, caller.tenant.id, body.application_id
        )
    except NotFoundError as exc:  # a field of the body, not the address: 422 naming it
        raise ValidationError("application_id", str(exc)) from None
    user, message = await invitation.invite(
        session,
        tenant=caller.tenant,
        application=application,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        language=body.language,
        inviter_name=body.inviter_name or caller.client.name,
        origin=request_origin(request, runtime),
        actor=caller.actor,
        limit=runtime.settings.new_user_emails_per_tenant_hour,
    )
    await session.commit()
    runtime.wake_worker()
    return InvitationAnswer(
        user_id=user.id, email=user.email, status=user.status, message_id=message.id
    )
