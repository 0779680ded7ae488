"""Console > User Management: list and search users, create one (and send its activation
e-mail again), deactivate and activate, and the user's Authentication tab with Password
Details (Reset Counter, Send Reset Password Email, unlock). *Read Users* sees everything;
changing anything needs *Manage Users*."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization, labels_of
from gatehouse.accounts.models import User
from gatehouse.accounts.users import (
    LANGUAGE_NAMES,
    STATUSES,
    authorizations_of,
    get_user,
    search_users,
)
from gatehouse.errors import (
    ConflictError,
    LimitReachedError,
    PermissionDeniedError,
    ValidationError,
)
from gatehouse.processes import user_admin
from gatehouse.processes.activation import last_activation_email
from gatehouse.processes.password_links import Outcome
from gatehouse.processes.user_log import user_resource
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import page_number, render
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/admin/users")
UsersReader = Annotated[Admin, require(Authorization.MANAGE_USERS, Authorization.READ_USERS)]
UsersManager = Annotated[Admin, require(Authorization.MANAGE_USERS)]
# user_admin.unlock_password or unlock_email_codes (session, *, user, actor, actor_authorizations).
Unlock = Callable[..., Awaitable[None]]
CheckedForm = Annotated[FormData, Depends(checked_form)]
NO_SUCH_USER = "There is no such user in this tenant."
CRUMB = ("User Management", "/admin/users")
TABS = (("details", "Details"), ("authentication", "Authentication"))
# The change log names fields and values as the page does (the API keeps the stored keys).
CHANGE_LABELS = {
    "email": "E-Mail",
    "previous_email": "before",
    "first_name": "First Name",
    "last_name": "Last Name",
    "login_name": "Login Name",
    "password": "Password",
    "language": "Language",
    "status": "Status",
    "password_reset_count": "Password Reset e-mails",
    "previous_count": "before",
    "reset_password_email": "Reset Password e-mail",
    "lockout": "Password lock",
    "email_code_lock": "E-mail code lock",
    "invited": "Invitation e-mail",
    "activation_email": "Activation e-mail",
}
CHANGE_VALUES = {
    "status": {status: status.capitalize() for status in STATUSES},
    "reset_password_email": {
        user_admin.RESET_EMAIL_QUEUED: "Queued",
        user_admin.RESET_EMAIL_AT_LIMIT: "Not sent: limit reached",
    },
    "lockout": {user_admin.PASSWORD_UNLOCKED: "Ended"},
    "email_code_lock": {user_admin.PASSWORD_UNLOCKED: "Ended"},
    "invited": {True: "Queued"},
    "activation_email": {user_admin.ACTIVATION_EMAIL_SENT_AGAIN: "Queued again"},
    "language": LANGUAGE_NAMES,
}
NEW_USER_FIELDS = ("email", "first_name", "last_name", "login_name", "language")
# As the Create User form labels them: an error names the field it is about.
NEW_USER_LABELS = {
    "email": "E-Mail",
    "login_name": "Login Name",
    "first_name": "First Name",
    "last_name": "Last Name",
    "language": "Language",
}


async def user_or_404(session: DbSession, admin: Admin, user_id: str) -> User:
    user = await get_user(session, admin.tenant.id, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail=NO_SUCH_USER)
    return user


async def undo(session: DbSession, admin: Admin) -> None:
    """Roll back a refused change; reload the signed-in administrator and tenant, which the
    rollback expired, so the page can be rendered again."""
    await session.rollback()
    await session.refresh(admin.user)
    await session.refresh(admin.tenant)


def display_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.email


@router.get("", response_class=HTMLResponse)
async def users_page(
    request: Request, session: DbSession, admin: UsersReader, q: str = "", page: str = "1"
) -> Response:
    q = q.strip()[:100]  # white space alone is no search
    found = await search_users(session, admin.tenant.id, query=q, page=page_number(page))
    context = {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [(CRUMB[0], None)],
        "q": q,
        "found": found,
        "may_manage": admin.may(Authorization.MANAGE_USERS),
        "display_name": display_name,
    }
    return render(request, "console/users.html", context)


@router.get("/new", response_class=HTMLResponse)
async def new_user_page(request: Request, admin: UsersManager) -> Response:
    return render(request, "console/user_new.html", _new_context(admin, {"language": "en"}))


def _new_context(admin: Admin, form: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [CRUMB, ("Create User", None)],
        "form": form,
        "languages": LANGUAGE_NAMES,
        **extra,
    }


@router.post("/new", response_class=HTMLResponse)
async def create_user(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: UsersManager,
    form: CheckedForm,
) -> Response:
    values = {name: field(form, name).strip() for name in NEW_USER_FIELDS}
    try:
        user = await user_admin.create_user_on_behalf(
            session,
            tenant=admin.tenant,
            actor=actor_of(admin),
            origin=request_origin(request, runtime),
            email=values["email"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            login_name=values["login_name"] or None,
            language=values["language"] or "en",  # another one: 422 naming the field
            limit=runtime.settings.new_user_emails_per_tenant_hour,
        )
    except (ValidationError, ConflictError) as exc:
        await undo(session, admin)
        error = exc.labelled(NEW_USER_LABELS) if isinstance(exc, ValidationError) else str(exc)
        context = _new_context(admin, values, error=error, error_field=exc.field)
        return render(request, "console/user_new.html", context, status_code=422)
    except LimitReachedError as exc:
        await undo(session, admin)
        context = _new_context(admin, values, error=exc.message, error_field=None)
        return render(request, "console/user_new.html", context, status_code=429)
    await session.commit()
    runtime.wake_worker()
    return RedirectResponse(f"/admin/users/{user.id}?msg=user-created", status_code=303)


@router.get("/{user_id}", response_class=HTMLResponse)
async def user_page(
    request: Request, session: DbSession, admin: UsersReader, user_id: str, tab: str = "details"
) -> Response:
    user = await user_or_404(session, admin, user_id)
    context = await _user_context(session, admin, user, tab)
    return render(request, "console/user.html", context)


async def _user_context(
    session: DbSession, admin: Admin, user: User, tab: str, **extra: Any
) -> dict[str, Any]:
    held = await authorizations_of(session, admin.tenant.id, user.id)
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [CRUMB, (display_name(user), None)],
        "user": user,
        "name": display_name(user),
        "tabs": TABS,
        "tab": tab if tab in dict(TABS) else "details",
        "language_name": LANGUAGE_NAMES.get(user.language, user.language),
        "held": labels_of(held),
        "details": await user_admin.password_details(session, user),
        "activation_email": (
            await last_activation_email(session, tenant_id=user.tenant_id, user_id=user.id)
            if user.status == "new"
            else None
        ),
        "may_manage": admin.may(Authorization.MANAGE_USERS),
        # An administrator's details are changed with Manage Tenant Configuration only.
        "may_edit": admin.may(Authorization.MANAGE_USERS)
        and (not held or admin.may(Authorization.MANAGE_TENANT_CONFIGURATION)),
        "may_see_delivery": admin.may(Authorization.MANAGE_TENANT_CONFIGURATION),
        "changes": await audit.entries(
            session,
            tenant_id=admin.tenant.id,
            resource=user_resource(user.id),
            limit=20,
        ),
        "change_labels": CHANGE_LABELS,
        "change_values": CHANGE_VALUES,
        **extra,
    }


async def _refused(
    request: Request, session: DbSession, admin: Admin, user_id: str, tab: str, exc: Exception
) -> Response:
    """The user page again with the reason an action was refused (403, 409, or 429 at a
    limit)."""
    await undo(session, admin)
    user = await user_or_404(session, admin, user_id)
    status = {PermissionDeniedError: 403, LimitReachedError: 429}.get(type(exc), 409)
    context = await _user_context(session, admin, user, tab, error=str(exc))
    return render(request, "console/user.html", context, status_code=status)


@router.post("/{user_id}/deactivate")
async def deactivate(
    request: Request, session: DbSession, admin: UsersManager, user_id: str, form: CheckedForm
) -> Response:
    user = await user_or_404(session, admin, user_id)
    try:
        await user_admin.deactivate_user(
            session,
            user=user,
            actor=actor_of(admin),
            actor_user_id=admin.user.id,
            actor_authorizations=admin.authorizations,
        )
    except (ConflictError, PermissionDeniedError) as exc:
        return await _refused(request, session, admin, user_id, "details", exc)
    await session.commit()
    return RedirectResponse(f"/admin/users/{user.id}?msg=user-deactivated", status_code=303)


@router.post("/{user_id}/activate")
async def activate(
    request: Request, session: DbSession, admin: UsersManager, user_id: str, form: CheckedForm
) -> Response:
    user = await user_or_404(session, admin, user_id)
    try:
        await user_admin.activate_user(
            session, user=user, actor=actor_of(admin), actor_authorizations=admin.authorizations
        )
    except PermissionDeniedError as exc:
        return await _refused(request, session, admin, user_id, "details", exc)
    await session.commit()
    return RedirectResponse(f"/admin/users/{user.id}?msg=user-activated", status_code=303)


@router.post("/{user_id}/reset-counter")
async def reset_counter(
    request: Request, session: DbSession, admin: UsersManager, user_id: str, form: CheckedForm
) -> Response:
    user = await user_or_404(session, admin, user_id)
    try:
        await user_admin.reset_counter(session, user=user, actor=actor_of(admin))
    except ConflictError as exc:
        return await _refused(request, session, admin, user_id, "authentication", exc)
    await session.commit()
    return RedirectResponse(
        f"/admin/users/{user.id}?tab=authentication&msg=counter-reset", status_code=303
    )


@router.post("/{user_id}/send-reset-email")
async def send_reset_email(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: UsersManager,
    user_id: str,
    form: CheckedForm,
) -> Response:
    user = await user_or_404(session, admin, user_id)
    try:
        outcome = await user_admin.send_reset_email(
            session,
            tenant=admin.tenant,
            user=user,
            actor=actor_of(admin),
            origin=request_origin(request, runtime),
        )
    except ConflictError as exc:
        return await _refused(request, session, admin, user_id, "authentication", exc)
    await session.commit()
    if outcome is Outcome.QUEUED:
        runtime.wake_worker()
    msg = "reset-email-sent" if outcome is Outcome.QUEUED else "reset-email-at-limit"
    return RedirectResponse(f"/admin/users/{user.id}?tab=authentication&msg={msg}", status_code=303)


@router.post("/{user_id}/send-activation-email")
async def send_activation_email(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: UsersManager,
    user_id: str,
    form: CheckedForm,
) -> Response:
    user = await user_or_404(session, admin, user_id)
    try:
        await user_admin.send_activation_again(
            session,
            tenant=admin.tenant,
            user=user,
            actor=actor_of(admin),
            origin=request_origin(request, runtime),
            limit=runtime.settings.new_user_emails_per_tenant_hour,
        )
    except (ConflictError, LimitReachedError) as exc:
        return await _refused(request, session, admin, user_id, "details", exc)
    await session.commit()
    runtime.wake_worker()
    return RedirectResponse(f"/admin/users/{user.id}?msg=activation-email-sent", status_code=303)


@router.post("/{user_id}/unlock")
async def unlock(
    request: Request, session: DbSession, admin: UsersManager, user_id: str, form: CheckedForm
) -> Response:
    return await _unlocked(
        request, session, admin, user_id, user_admin.unlock_password, "password-unlocked"
    )


@router.post("/{user_id}/unlock-email-code")
async def unlock_email_code(
    request: Request, session: DbSession, admin: UsersManager, user_id: str, form: CheckedForm
) -> Response:
    return await _unlocked(
        request, session, admin, user_id, user_admin.unlock_email_codes, "email-code-unlocked"
    )


async def _unlocked(
    request: Request,
    session: DbSession,
    admin: Admin,
    user_id: str,
    unlock: Unlock,
    done: str,
) -> Response:
    """One of the Password Details' unlocks; the tab again with ``done``'s message, or the
    refusal on it."""
    user = await user_or_404(session, admin, user_id)
    try:
        await unlock(
            session, user=user, actor=actor_of(admin), actor_authorizations=admin.authorizations
        )
    except PermissionDeniedError as exc:
        return await _refused(request, session, admin, user_id, "authentication", exc)
    await session.commit()
    return RedirectResponse(
        f"/admin/users/{user.id}?tab=authentication&msg={done}", status_code=303
    )
