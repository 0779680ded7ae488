"""``/admin/api/v1/users``: find users, their Password Details with the e-mail limit's count,
Reset Counter, Send Reset Password Email, and the activation e-mail sent again. Reading needs
Read Users or Manage Users; the rest needs Manage Users. Every query is scoped to the caller's
tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.accounts.users import find_by_email, get_user, search_users
from gatehouse.errors import ConflictError, PermissionDeniedError, ValidationError
from gatehouse.processes import user_admin
from gatehouse.processes.email_limit import USER_AT_LIMIT
from gatehouse.processes.password_links import Outcome
from gatehouse.web.api.auth import ApiCaller, require_client
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/users", tags=["users"])
Reader = Annotated[ApiCaller, require_client(Authorization.READ_USERS, Authorization.MANAGE_USERS)]
Manager = Annotated[ApiCaller, require_client(Authorization.MANAGE_USERS)]
NO_SUCH_USER = "There is no such user in this tenant."


class UserView(BaseModel):
    id: str
    email: str
    status: str
    login_name: str | None
    first_name: str
    last_name: str
    language: str
    created_at: datetime


class UserList(BaseModel):
    users: list[UserView]
    total: int
    page: int
    pages: int


class CountedEmailView(BaseModel):
    """One counted e-mail: when it was asked for, and its delivery's status (None once it is
    no longer in the delivery log)."""

    at: datetime
    process: str
    message_id: str | None
    status: str | None


class PasswordReset(BaseModel):
    count: int
    limit: int
    sent_at: list[datetime]  # when each was asked for: kept for the clients that read it
    emails: list[CountedEmailView]
    refused: int
    last_refused_at: datetime | None


class PasswordDetailsView(BaseModel):
    user_id: str
    status: str
    password_set: bool
    password_changed_at: datetime | None
    failed_logons: int
    locked_until: datetime | None
    password_reset: PasswordReset
    email_code_locked_until: datetime | None


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        email=user.email,
        status=user.status,
        login_name=user.login_name,
        first_name=user.first_name,
        last_name=user.last_name,
        language=user.language,
        created_at=user.created_at,
    )


async def _user(session: DbSession, caller: ApiCaller, user_id: str) -> User:
    user = await get_user(session, caller.tenant.id, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail=NO_SUCH_USER)
    return user


async def _details(session: DbSession, user: User) -> PasswordDetailsView:
    details = await user_admin.password_details(session, user)
    limit = details.password_reset
    return PasswordDetailsView(
        user_id=user.id,
        status=user.status,
        password_set=details.password_set,
        password_changed_at=details.changed_at,
        failed_logons=details.failed_logons,
        locked_until=details.locked_until,
        email_code_locked_until=details.email_code_locked_until,
        password_reset=PasswordReset(
            count=limit.count,
            limit=limit.limit,
            sent_at=limit.sent_at,
            emails=[
                CountedEmailView(
                    at=email.at,
                    process=email.process,
                    message_id=email.message_id,
                    status=email.status,
                )
                for email in limit.emails
            ],
            refused=limit.refused,
            last_refused_at=limit.last_refused_at,
        ),
    )


EMAIL_OR_SEARCH = "Use either email (one exact address) or search, not both."


@router.get("", response_model=UserList)
async def list_users(
    caller: Reader,
    session: DbSession,
    email: Annotated[str | None, Query(max_length=254, description="Exact e-mail")] = None,
    search: Annotated[str, Query(max_length=100, description="Name, e-mail or login")] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> UserList:
    """Users of the tenant, 20 per page; ``email`` finds one user by e-mail address (left
    empty, it filters nothing, as an empty ``search`` does), and is not combined with
    ``search``: one lookup is exact, the other a search."""
    if email and email.strip():
        if search.strip():
            raise ValidationError("search", EMAIL_OR_SEARCH)
        user = await find_by_email(session, caller.tenant.id, email)
        users = [_view(user)] if user and page == 1 else []  # one page at most, as any list
        return UserList(users=users, total=1 if user else 0, page=page, pages=1)
    found = await search_users(session, caller.tenant.id, query=search, page=page)
    if page > found.pages:  # past the end: empty, as for messages (a loop until empty ends)
        return UserList(users=[], total=found.total, page=page, pages=found.pages)
    return UserList(
        users=[_view(u) for u in found.users], total=found.total, page=found.page, pages=found.pages
    )


@router.get("/{user_id}", response_model=UserView)
async def read_user(user_id: str, caller: Reader, session: DbSession) -> UserView:
    return _view(await _user(session, caller, user_id))


NULL_NOT_A_VALUE = 'Must be text ("" for none).'


class UserChange(BaseModel):
    """The fields to change; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    login_name: str | None = Field(default=None, max_length=64, description="null: none")
    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    language: str | None = None


@router.patch(
    "/{user_id}",
    response_model=UserView,
    responses={403: {"description": "An administrator's details need Manage Tenant Configuration"}},
)
async def change_user(
    user_id: str, body: UserChange, caller: Manager, session: DbSession
) -> UserView:
    """Change the login name, names or language (the address stays: whoever controls it can
    reset the password); recorded in the user's change log. 422 naming the field for a
    malformed value or a login name another user signs in with, 403 for an administrator's
    details without Manage Tenant Configuration."""
    user = await _user(session, caller, user_id)
    wanted = body.model_dump(exclude_unset=True)
    for name in ("first_name", "last_name", "language"):  # null clears the login name only
        if name in wanted and wanted[name] is None:
            raise ValidationError(name, NULL_NOT_A_VALUE)
    try:
        await user_admin.edit_user(
            session,
            user=user,
            actor=caller.actor,
            actor_authorizations=caller.authorizations,
            wanted=wanted,
        )
    except PermissionDeniedError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    except ConflictError as exc:  # a login name someone has: a field's value, 422 naming it
        raise ValidationError(exc.field or "login_name", exc.message) from None
    await session.commit()
    return _view(user)


@router.get("/{user_id}/password-details", response_model=PasswordDetailsView)
async def password_details(user_id: str, caller: Reader, session: DbSession) -> PasswordDetailsView:
    """Password status, failed logons, lock, and ``password_reset``: the e-mails counted by the
    limit in the last 24 hours (``count`` of ``limit``, with their ``sent_at`` times)."""
    return await _details(session, await _user(session, caller, user_id))


@router.post(
    "/{user_id}/password-details/reset-counter",
    response_model=PasswordDetailsView,
    responses={409: {"description": "The user is inactive"}},
)
async def reset_counter(user_id: str, caller: Manager, session: DbSession) -> PasswordDetailsView:
    """Set the user's count to zero (recorded in the change log); 409 for an inactive user."""
    user = await _user(session, caller, user_id)
    try:
        await user_admin.reset_counter(session, user=user, actor=caller.actor)
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    await session.commit()
    return await _details(session, user)


class SendAnswer(BaseModel):
    result: str  # queued | limit-reached
    message: str


@router.post(
    "/{user_id}/password-details/send-reset-email",
    response_model=SendAnswer,
    responses={409: {"description": "The user is inactive"}},
)
async def send_reset_email(
    user_id: str, request: Request, caller: Manager, session: DbSession, runtime: CurrentRuntime
) -> SendAnswer:
    """Queue the Reset Password e-mail, counted by the limit; 409 for an inactive user."""
    user = await _user(session, caller, user_id)
    try:
        outcome = await user_admin.send_reset_email(
            session,
            tenant=caller.tenant,
            user=user,
            actor=caller.actor,
            origin=request_origin(request, runtime),
        )
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    await session.commit()
    if outcome is Outcome.QUEUED:
        runtime.wake_worker()
        return SendAnswer(result=outcome.value, message="The Reset Password e-mail is queued.")
    return SendAnswer(result=outcome.value, message=USER_AT_LIMIT)


class ActivationAnswer(BaseModel):
    message_id: str  # the e-mail's ID in ``messages``
    message: str


ACTIVATION_EMAIL_QUEUED = "The activation e-mail is queued, with a new link."


@router.post(
    "/{user_id}/send-activation-email",
    response_model=ActivationAnswer,
    status_code=202,
    responses={
        409: {"description": "The user is inactive, or has already set a password"},
        429: {"description": "The tenant's e-mails to new users in the last hour are at the limit"},
    },
)
async def send_activation_email(
    user_id: str, request: Request, caller: Manager, session: DbSession, runtime: CurrentRuntime
) -> ActivationAnswer:
    """Send the activation e-mail again, with a new link, to a user who has not set a password
    yet (the Invitation again to an invited user, else On-Behalf Registration, for the first
    link's application: user_admin.send_activation_again); counted by the tenant's limit of
    e-mails to new users (429 past it)."""
    user = await _user(session, caller, user_id)
    try:
        message = await user_admin.send_activation_again(
            session,
            tenant=caller.tenant,
            user=user,
            actor=caller.actor,
            origin=request_origin(request, runtime),
            limit=runtime.settings.new_user_emails_per_tenant_hour,
        )
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    await session.commit()
    runtime.wake_worker()
    return ActivationAnswer(message_id=message.id, message=ACTIVATION_EMAIL_QUEUED)
