"""Profile > E-mail address: the user changes it with their current password; a security alert
goes to the old address when the tenant switched it on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse.accounts.users import get_user, lock_identifiers
from gatehouse.errors import ValidationError
from gatehouse.mail.addresses import normalize_email
from gatehouse.processes.email_change import change_email
from gatehouse.web.account.routes import (
    confirm_current_password,
    field,
    profile_context,
    user_session,
)
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentRuntime, CurrentTenant, DbSession, request_origin

router = APIRouter()
CheckedForm = Annotated[FormData, Depends(checked_form)]


@router.post("/profile/email", response_class=HTMLResponse)
async def change_email_address(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    record = await user_session(request, session, tenant)
    user = await get_user(session, tenant.id, record.user_id) if record else None
    if record is None or user is None:
        return RedirectResponse("/", status_code=303)
    try:
        # The address's form first: a typing error is told as such, whatever the password.
        # Whether another account uses it is told only after the password (email_change).
        normalize_email(field(form, "email"), field="email")
        # The tenant's lock before the password check locks the user: the order every
        # transaction that takes both keeps (lock_identifiers), or two could deadlock.
        await lock_identifiers(session, tenant.id)
        await confirm_current_password(
            request,
            session,
            runtime,
            tenant,
            user,
            field(form, "email_password"),
            field_name="email_password",
        )
        alerted = await change_email(
            session,
            tenant=tenant,
            user=user,
            new_email=field(form, "email"),
            origin=request_origin(request, runtime),
            code_passed=record.email_code_passed,
        )
    except ValidationError as exc:
        context = profile_context(
            tenant,
            user,
            error=exc.message,
            error_field=exc.field,
            error_form="email",  # its card shows the error
            # The address typed stays in its field: the user corrects it, not types it again.
            new_email=field(form, "email"),
        )
        return render(request, "account/profile.html", context, status_code=400)
    await session.commit()
    if alerted:
        runtime.wake_worker()
    return RedirectResponse("/profile?msg=email-changed", status_code=303)
