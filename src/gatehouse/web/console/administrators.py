"""Console > Administrators (Manage Tenant Configuration): the tenant's administrators and
their authorizations (add an existing or new user by e-mail, edit, remove), and its API clients
("systems") with up to two secrets each, shown once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts import administrators, clients
from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.accounts.users import authorizations_of, get_user
from gatehouse.errors import ConflictError, LimitReachedError, NotFoundError, ValidationError
from gatehouse.processes import user_admin
from gatehouse.tenants import quotas
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.console.shown_once import forget, redirect_showing, secret_for_this_page
from gatehouse.web.console.users import display_name, undo
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/admin/administrators")
PAGE = "/admin/administrators"
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
CRUMB = ("Administrators", PAGE)
NOT_ADMIN = "This user is not an administrator."
# As the Add Administrator form labels its fields: an error names the field it is about (the
# authorization refusal already says what to choose).
ADD_ADMIN_LABELS = {"email": "E-Mail", "first_name": "First Name", "last_name": "Last Name"}


def chosen(form: FormData) -> frozenset[Authorization]:
    """The authorization checkboxes of a form (unknown values are ignored)."""
    values = {v for v in form.getlist("authorization") if isinstance(v, str)}
    return frozenset(a for a in Authorization if a.value in values)


def _base(admin: Admin, *crumbs: tuple[str, str | None], **extra: Any) -> dict[str, Any]:
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": list(crumbs),
        "authorizations": list(Authorization),
        "expiries": clients.EXPIRIES,
        **extra,
    }


@router.get("", response_class=HTMLResponse)
async def administrators_page(
    request: Request, session: DbSession, admin: TenantConfigAdmin
) -> Response:
    tenant_id = admin.tenant.id
    changes = await audit.entries(session, tenant_id=tenant_id, resource=administrators.RESOURCE)
    changes += await audit.entries(session, tenant_id=tenant_id, resource=clients.RESOURCE)
    changes.sort(key=lambda entry: entry.at, reverse=True)
    context = _base(
        admin,
        (CRUMB[0], None),
        admins=await administrators.list_administrators(session, tenant_id),
        systems=await clients.list_clients(session, tenant_id),
        display_name=display_name,
        changes=changes[:20],
    )
    return render(request, "console/administrators.html", context)


# --- administrators (users) ------------------------------------------------------------------


@router.get("/new", response_class=HTMLResponse)
async def new_admin_page(request: Request, admin: TenantConfigAdmin) -> Response:
    context = _base(admin, CRUMB, ("Add Administrator", None), form={}, held=frozenset())
    return render(request, "console/administrator_new.html", context)


@router.post("/new", response_class=HTMLResponse)
async def add_admin(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    values = {k: field(form, k).strip() for k in ("email", "first_name", "last_name")}
    held = chosen(form)
    try:
        _, created = await user_admin.add_administrator(
            session,
            tenant=admin.tenant,
            actor=actor_of(admin),
            actor_user_id=admin.user.id,
            origin=request_origin(request, runtime),
            email=values["email"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            authorizations=held,
            limit=runtime.settings.new_user_emails_per_tenant_hour,
        )
    except (ValidationError, ConflictError, LimitReachedError) as exc:
        await undo(session, admin)
        error, error_field, status = exc.message, None, 429
        if isinstance(exc, (ValidationError, ConflictError)):
            error_field, status = exc.field, 422
        if isinstance(exc, ValidationError) and exc.field in ADD_ADMIN_LABELS:
            error = exc.labelled(ADD_ADMIN_LABELS)
        context = _base(
            admin,
            CRUMB,
            ("Add Administrator", None),
            form=values,
            held=held,
            error=error,
            error_field=error_field,
        )
        return render(request, "console/administrator_new.html", context, status_code=status)
    await session.commit()
    if created:
        runtime.wake_worker()
    msg = "admin-invited" if created else "admin-added"
    return RedirectResponse(f"{PAGE}?msg={msg}", status_code=303)


async def _admin_user(session: DbSession, admin: Admin, user_id: str) -> User:
    user = await get_user(session, admin.tenant.id, user_id)
    if user is None or not await authorizations_of(session, admin.tenant.id, user.id):
        raise HTTPException(status_code=404, detail=NOT_ADMIN)
    return user


def _edit_context(admin: Admin, user: User, held: frozenset[Authorization], **extra: Any) -> Any:
    return _base(
        admin,
        CRUMB,
        (display_name(user), None),
        user=user,
        name=display_name(user),  # the e-mail address for one without a name
        held=held,
        is_self=user.id == admin.user.id,
        owns_config=user.id == admin.user.id and Authorization.MANAGE_TENANT_CONFIGURATION in held,
        confirm_remove=False,
        **extra,
    )


@router.get("/{user_id}", response_class=HTMLResponse)
async def edit_admin_page(
    request: Request, session: DbSession, admin: TenantConfigAdmin, user_id: str
) -> Response:
    user = await _admin_user(session, admin, user_id)
    held = await authorizations_of(session, admin.tenant.id, user.id)
    context = _edit_context(admin, user, held)
    context["confirm_remove"] = request.query_params.get("confirm") == "remove"
    return render(request, "console/administrator.html", context)


@router.post("/{user_id}", response_class=HTMLResponse)
async def save_admin(
    request: Request, session: DbSession, admin: TenantConfigAdmin, user_id: str, form: CheckedForm
) -> Response:
    return await _change(request, session, admin, user_id, chosen(form), "admin-saved")


@router.post("/{user_id}/remove", response_class=HTMLResponse)
async def remove_admin(
    request: Request, session: DbSession, admin: TenantConfigAdmin, user_id: str, form: CheckedForm
) -> Response:
    return await _change(request, session, admin, user_id, frozenset(), "admin-removed")


async def _change(
    request: Request,
    session: DbSession,
    admin: Admin,
    user_id: str,
    held: frozenset[Authorization],
    msg: str,
) -> Response:
    user = await _admin_user(session, admin, user_id)
    try:
        await administrators.change_authorizations(
            session,
            user=user,
            authorizations=held,
            actor=actor_of(admin),
            actor_user_id=admin.user.id,
        )
    except ConflictError as exc:
        await undo(session, admin)
        current = await authorizations_of(session, admin.tenant.id, user.id)
        context = _edit_context(admin, user, current, error=str(exc))
        return render(request, "console/administrator.html", context, status_code=409)
    await session.commit()
    if not held:
        msg = "admin-removed"
    return RedirectResponse(f"{PAGE}?msg={msg}", status_code=303)


# --- systems (API clients) -------------------------------------------------------------------


@router.get("/systems/new", response_class=HTMLResponse)
async def new_system_page(request: Request, admin: TenantConfigAdmin) -> Response:
    context = _base(admin, CRUMB, ("Add System", None), form={"expiry": "1y"}, held=frozenset())
    return render(request, "console/system_new.html", context)


@router.post("/systems/new", response_class=HTMLResponse)
async def add_system(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    values = {"name": field(form, "name").strip(), "expiry": field(form, "expiry")}
    held = chosen(form)
    try:
        new = await clients.create_client(
            session,
            tenant_id=admin.tenant.id,
            name=values["name"],
            authorizations=held,
            expiry=values["expiry"],
            actor=actor_of(admin),
        )
    except (ValidationError, ConflictError) as exc:  # ConflictError: the most there may be
        await undo(session, admin)
        context = _base(
            admin,
            CRUMB,
            ("Add System", None),
            form=values,
            held=held,
            error=_in_console_words(exc),
            error_field=exc.field,
        )
        status = 422 if isinstance(exc, ValidationError) else 409
        return render(request, "console/system_new.html", context, status_code=status)
    await session.commit()
    page = f"{PAGE}/systems/{new.client_id}"
    return redirect_showing(request, page, new.secret, runtime.secret_box)


# The service speaks of API clients, as the REST API does; the console calls them systems.
_SYSTEM_WORDS = {
    clients.NO_SUCH_CLIENT: "There is no such system: it may have been deleted.",
    clients.TOO_MANY_SECRETS: "A system has at most two secrets. Delete one before adding another.",
    clients.LAST_SECRET: "This is the system's only secret. Add a new one first, or delete the "
    "system.",
    clients.NO_AUTHORIZATION: "Choose at least one authorization.",  # as Add Administrator says
    quotas.AT_MOST.format(limit=quotas.MAX_API_CLIENTS, things="API clients"): (
        quotas.AT_MOST.format(limit=quotas.MAX_API_CLIENTS, things="systems")
    ),
}


def _in_console_words(exc: ValidationError | ConflictError | NotFoundError) -> str:
    text = str(exc) if isinstance(exc, NotFoundError) else exc.message
    return _SYSTEM_WORDS.get(text, text)


async def _system_page(
    request: Request,
    session: DbSession,
    admin: Admin,
    client_id: str,
    *,
    status_code: int = 200,
    held: frozenset[Authorization] | None = None,
    **extra: Any,
) -> Response:
    """The system's page; ``held``: the authorizations to show ticked (after a refusal, those
    sent), else its own."""
    try:
        view = await clients.get_client(session, admin.tenant.id, client_id)
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=_in_console_words(exc)) from None
    context = _base(
        admin,
        CRUMB,
        (view.client.name, None),
        view=view,
        held=view.authorizations if held is None else held,
        max_secrets=clients.MAX_SECRETS,
        confirm_delete=request.query_params.get("confirm") == "delete",
        # A secret's Delete asks first (?confirm=delete-secret&secret=<id>).
        confirm_secret=request.query_params.get("secret")
        if request.query_params.get("confirm") == "delete-secret"
        else None,
        **extra,
    )
    return render(request, "console/system.html", context, status_code=status_code)


@router.get("/systems/{client_id}", response_class=HTMLResponse)
async def system_page(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    client_id: str,
) -> Response:
    new_secret = secret_for_this_page(request, runtime.secret_box)
    page = await _system_page(request, session, admin, client_id, new_secret=new_secret)
    return forget(request, page)


@router.post("/systems/{client_id}", response_class=HTMLResponse)
async def save_system(
    request: Request,
    session: DbSession,
    admin: TenantConfigAdmin,
    client_id: str,
    form: CheckedForm,
) -> Response:
    try:
        await clients.update_client(
            session,
            tenant_id=admin.tenant.id,
            client_id=client_id,
            name=field(form, "name"),
            authorizations=chosen(form),
            actor=actor_of(admin),
        )
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=_in_console_words(exc)) from None
    except ValidationError as exc:
        await undo(session, admin)
        return await _system_page(
            request,
            session,
            admin,
            client_id,
            status_code=422,
            error=_in_console_words(exc),
            error_field=exc.field,
            name=field(form, "name"),  # what was sent, not what is stored
            held=chosen(form),
        )
    await session.commit()
    return RedirectResponse(f"{PAGE}/systems/{client_id}?msg=system-saved", status_code=303)


@router.post("/systems/{client_id}/secrets", response_class=HTMLResponse)
async def add_secret(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    client_id: str,
    form: CheckedForm,
) -> Response:
    try:
        secret = await clients.add_secret(
            session,
            tenant_id=admin.tenant.id,
            client_id=client_id,
            expiry=field(form, "expiry"),
            actor=actor_of(admin),
        )
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=_in_console_words(exc)) from None
    except (ValidationError, ConflictError) as exc:
        await undo(session, admin)
        return await _system_page(
            request, session, admin, client_id, status_code=409, error=_in_console_words(exc)
        )
    await session.commit()
    page = f"{PAGE}/systems/{client_id}"
    return redirect_showing(request, page, secret, runtime.secret_box)


@router.post("/systems/{client_id}/secrets/{secret_id}/delete", response_class=HTMLResponse)
async def delete_secret(
    request: Request,
    session: DbSession,
    admin: TenantConfigAdmin,
    client_id: str,
    secret_id: str,
    form: CheckedForm,
) -> Response:
    try:
        await clients.delete_secret(
            session,
            tenant_id=admin.tenant.id,
            client_id=client_id,
            secret_id=secret_id,
            actor=actor_of(admin),
        )
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=_in_console_words(exc)) from None
    except ConflictError as exc:
        await undo(session, admin)
        return await _system_page(
            request, session, admin, client_id, status_code=409, error=_in_console_words(exc)
        )
    await session.commit()
    return RedirectResponse(f"{PAGE}/systems/{client_id}?msg=secret-deleted", status_code=303)


@router.post("/systems/{client_id}/delete")
async def delete_system(
    session: DbSession, admin: TenantConfigAdmin, client_id: str, form: CheckedForm
) -> Response:
    try:
        await clients.delete_client(
            session, tenant_id=admin.tenant.id, client_id=client_id, actor=actor_of(admin)
        )
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=_in_console_words(exc)) from None
    await session.commit()
    return RedirectResponse(f"{PAGE}?msg=system-deleted", status_code=303)
