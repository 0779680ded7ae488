"""Console > Tenant Settings > Display name (Manage Tenant Configuration): the tenant's name in
the console, on its logon pages and in its e-mails, 1 to 50 characters of letters, digits,
spaces and _ - . ' (the reference's rule); each change in the change log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import ValidationError
from gatehouse.tenants.service import rename_tenant
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.console.routes import tenant_settings_context
from gatehouse.web.console.users import undo
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import DbSession

router = APIRouter(prefix="/admin/tenant-settings/display-name")
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


@router.post("", response_class=HTMLResponse)
async def save_display_name(
    request: Request, session: DbSession, admin: TenantConfigAdmin, form: CheckedForm
) -> Response:
    sent = field(form, "display_name").strip()
    try:
        await rename_tenant(session, tenant=admin.tenant, display_name=sent, actor=actor_of(admin))
    except ValidationError as exc:
        await undo(session, admin)
        context = await tenant_settings_context(
            session, admin, display_name=sent, error=exc.message, error_field=exc.field
        )
        return render(request, "console/tenant_settings.html", context, status_code=422)
    await session.commit()
    return RedirectResponse("/admin/tenant-settings?msg=display-name-saved", status_code=303)
