"""Console > Applications (Manage Applications): the built-in User Profile and the
applications administrators add (name, home URL), each with its template set and the optional
e-mail code as second factor; its logon page is the tenant's logon page with ``?app=<id>``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.applications import service as applications
from gatehouse.applications.models import Application
from gatehouse.errors import ConflictError, ValidationError
from gatehouse.mail.templates import sets
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.console.users import undo
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/admin/applications")
PAGE = "/admin/applications"
TITLE = "Applications"
AppsAdmin = Annotated[Admin, require(Authorization.MANAGE_APPLICATIONS)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


async def _list_context(session: DbSession, admin: Admin, **extra: Any) -> dict[str, Any]:
    set_names = {s.id: s.name for s in await sets.list_sets(session, admin.tenant.id)}
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [(TITLE, None)],
        "title": TITLE,
        "applications": await applications.list_applications(session, admin.tenant.id),
        "set_names": set_names,
        "form": {},
        **extra,
    }


@router.get("", response_class=HTMLResponse)
async def applications_page(request: Request, session: DbSession, admin: AppsAdmin) -> Response:
    return render(request, "console/applications.html", await _list_context(session, admin))


@router.post("", response_class=HTMLResponse)
async def create_application(
    request: Request, session: DbSession, admin: AppsAdmin, form: CheckedForm
) -> Response:
    values = {"name": field(form, "name"), "home_url": field(form, "home_url")}
    try:
        created = await applications.create_application(
            session, tenant_id=admin.tenant.id, actor=actor_of(admin), **values
        )
    except (ValidationError, ConflictError) as exc:  # ConflictError: the most there may be
        await undo(session, admin)  # a name another request took: the write was rolled back
        context = await _list_context(
            session, admin, error=exc.message, error_field=exc.field, form=values
        )
        status = 422 if isinstance(exc, ValidationError) else 409
        return render(request, "console/applications.html", context, status_code=status)
    await session.commit()
    return RedirectResponse(f"{PAGE}/{created.id}?msg=application-created", status_code=303)


async def _find(session: DbSession, admin: Admin, app_id: str) -> Application:
    application = await applications.get_application(session, admin.tenant.id, app_id)
    if application is None:
        raise HTTPException(status_code=404, detail=applications.NO_SUCH_APPLICATION)
    return application


async def _detail_context(
    request: Request, session: DbSession, runtime: Any, admin: Admin, app: Application, **extra: Any
) -> dict[str, Any]:
    origin = request_origin(request, runtime)
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [(TITLE, PAGE), (app.name, None)],
        "title": app.name,
        "app": app,
        "builtin": applications.is_builtin(app),
        "sets": await sets.list_sets(session, admin.tenant.id),
        "logon_url": f"{origin}/" if applications.is_builtin(app) else f"{origin}/?app={app.id}",
        "may_edit_templates": admin.may(Authorization.MANAGE_TENANT_CONFIGURATION),
        "confirm_delete": request.query_params.get("confirm") == "delete",
        "changes": await audit.entries(
            session,
            tenant_id=admin.tenant.id,
            resource=applications.RESOURCE,
            about=audit.mentions_value("application", app.id),
            limit=10,
        ),
        **extra,
    }


@router.get("/{app_id}", response_class=HTMLResponse)
async def application_page(
    request: Request, session: DbSession, runtime: CurrentRuntime, admin: AppsAdmin, app_id: str
) -> Response:
    app = await _find(session, admin, app_id)
    context = await _detail_context(request, session, runtime, admin, app)
    return render(request, "console/application.html", context)


@router.post("/{app_id}", response_class=HTMLResponse)
async def save_application(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: AppsAdmin,
    form: CheckedForm,
    app_id: str,
) -> Response:
    app = await _find(session, admin, app_id)
    builtin = applications.is_builtin(app)
    try:
        await applications.update_application(
            session,
            tenant_id=admin.tenant.id,
            application_id=app.id,
            actor=actor_of(admin),
            name=None if builtin else field(form, "name"),
            home_url=None if builtin else field(form, "home_url"),
            template_set_id=field(form, "template_set_id") or None,
            email_otp=field(form, "email_otp") == "on",
        )
    except (ValidationError, ConflictError) as exc:
        await undo(session, admin)  # a name another request took: the write was rolled back
        app = await _find(session, admin, app_id)
        typed = {  # what was sent, not what is stored
            "name": field(form, "name"),
            "home_url": field(form, "home_url"),
            "template_set_id": field(form, "template_set_id") or app.template_set_id,
            "email_otp": field(form, "email_otp") == "on",
        }
        context = await _detail_context(
            request,
            session,
            runtime,
            admin,
            app,
            error=exc.message,
            error_field=exc.field,
            form=typed,
        )
        return render(request, "console/application.html", context, status_code=422)
    await session.commit()
    return RedirectResponse(f"{PAGE}/{app.id}?msg=application-saved", status_code=303)


@router.post("/{app_id}/delete")
async def delete_application(
    session: DbSession, admin: AppsAdmin, form: CheckedForm, app_id: str
) -> Response:
    app = await _find(session, admin, app_id)
    try:
        await applications.delete_application(
            session, tenant_id=admin.tenant.id, application_id=app.id, actor=actor_of(admin)
        )
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    await session.commit()
    return RedirectResponse(f"{PAGE}?msg=application-deleted", status_code=303)
