"""User Management > a user > Edit: an administrator with Manage Users changes the user's
login name, first and last name and language (an administrator's only with Manage Tenant
Configuration too). The address stays: whoever controls it can reset the password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gatehouse.accounts.models import User
from gatehouse.accounts.users import LANGUAGE_NAMES
from gatehouse.errors import ConflictError, PermissionDeniedError, ValidationError
from gatehouse.processes import user_admin
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.console.users import (
    CRUMB,
    NEW_USER_LABELS,
    CheckedForm,
    UsersManager,
    display_name,
    undo,
    user_or_404,
)
from gatehouse.web.pages import render
from gatehouse.web.tenancy import DbSession

router = APIRouter(prefix="/admin/users")


def _context(admin: Admin, user: User, form: dict[str, str], **extra: Any) -> dict[str, Any]:
    name = display_name(user)
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [CRUMB, (name, f"/admin/users/{user.id}"), ("Edit", None)],
        "user": user,
        "name": name,
        "form": form,
        "languages": LANGUAGE_NAMES,
        **extra,
    }


def _current(user: User) -> dict[str, str]:
    return {
        "login_name": user.login_name or "",
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
    }


@router.get("/{user_id}/edit", response_class=HTMLResponse)
async def edit_page(
    request: Request, session: DbSession, admin: UsersManager, user_id: str
) -> Response:
    user = await user_or_404(session, admin, user_id)
    try:  # edit_user's own rule: a form that would only be refused is not offered
        await user_admin.refuse_unless_tenant_configuration(
            session, user, admin.authorizations, user_admin.EDIT_ADMIN_NEEDS_TENANT_CONFIGURATION
        )
    except PermissionDeniedError as exc:
        raise HTTPException(403, str(exc)) from None
    return render(request, "console/user_edit.html", _context(admin, user, _current(user)))


@router.post("/{user_id}/edit", response_class=HTMLResponse)
async def save(
    request: Request, session: DbSession, admin: UsersManager, user_id: str, form: CheckedForm
) -> Response:
    user = await user_or_404(session, admin, user_id)
    values = {name: field(form, name).strip() for name in user_admin.EDITABLE}
    try:
        await user_admin.edit_user(
            session,
            user=user,
            actor=actor_of(admin),
            actor_authorizations=admin.authorizations,
            wanted=values,
        )
    except (ValidationError, ConflictError, PermissionDeniedError) as exc:
        await undo(session, admin)
        user = await user_or_404(session, admin, user_id)
        error = exc.labelled(NEW_USER_LABELS) if isinstance(exc, ValidationError) else str(exc)
        field_name = None if isinstance(exc, PermissionDeniedError) else exc.field
        status = 403 if isinstance(exc, PermissionDeniedError) else 422
        context = _context(admin, user, values, error=error, error_field=field_name)
        return render(request, "console/user_edit.html", context, status_code=status)
    await session.commit()
    return RedirectResponse(f"/admin/users/{user.id}?msg=user-saved", status_code=303)
