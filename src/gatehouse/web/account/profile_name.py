"""Profile > Name: the signed-in user corrects their first and last name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse.errors import ValidationError
from gatehouse.processes.own_name import change_own_name
from gatehouse.web.account.routes import field, profile_context, signed_in_user
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentTenant, DbSession

router = APIRouter()
CheckedForm = Annotated[FormData, Depends(checked_form)]


@router.post("/profile/name", response_class=HTMLResponse)
async def change_name(
    request: Request, session: DbSession, tenant: CurrentTenant, form: CheckedForm
) -> Response:
    user = await signed_in_user(request, session, tenant)
    if user is None:
        return RedirectResponse("/", status_code=303)
    names = {"first_name": field(form, "first_name"), "last_name": field(form, "last_name")}
    try:
        await change_own_name(session, user, **names)
    except ValidationError as exc:
        context = profile_context(
            tenant,
            user,
            error=exc.message,
            error_field=exc.field,
            error_form="name",  # its card shows the error
            names=names,  # what was typed stays, to be corrected
        )
        return render(request, "account/profile.html", context, status_code=400)
    await session.commit()
    return RedirectResponse("/profile?msg=profile-saved", status_code=303)
