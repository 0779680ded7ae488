"""Console > E-Mail Template Sets (Manage Tenant Configuration): the list, creating a set as a
copy of Default, renaming, deleting (unless an application uses it), and each set's grid of
template types and languages. One template's page is in ``email_templates``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.users import LANGUAGE_NAMES
from gatehouse.errors import ConflictError, NotFoundError, ValidationError
from gatehouse.mail.templates import sets
from gatehouse.mail.templates.types import TEMPLATE_LANGUAGES, TEMPLATE_TYPES
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.console.users import undo
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import DbSession

router = APIRouter(prefix="/admin/email-template-sets")
PAGE = "/admin/email-template-sets"
TITLE = "E-Mail Template Sets"
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


def crumbs(*more: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(TITLE, PAGE if more else None), *more]


async def find_set(session: DbSession, admin: Admin, set_id: str) -> sets.SetInfo:
    """The set of the administrator's tenant, else 404 (another tenant's ID included)."""
    try:
        return await sets.get_set(session, admin.tenant.id, set_id)
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("", response_class=HTMLResponse)
async def sets_page(request: Request, session: DbSession, admin: TenantConfigAdmin) -> Response:
    return render(request, "console/template_sets.html", await _list_context(session, admin))


async def _list_context(session: DbSession, admin: Admin, **extra: Any) -> dict[str, Any]:
    all_sets = await sets.list_sets(session, admin.tenant.id)
    changes = await audit.entries(
        session, tenant_id=admin.tenant.id, resource=sets.RESOURCE, limit=10
    )
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": crumbs(),
        "title": TITLE,
        "sets": all_sets,
        "set_names": _set_names(all_sets, changes),
        "template_names": _template_names(changes),
        "changes": changes,
        **extra,
    }


def _set_names(all_sets: list[sets.SetInfo], changes: list[audit.AuditEntry]) -> dict[str, str]:
    """The log records sets by ID: each is named as it is now, and a deleted one by the name
    its last entry gave it (its deletion's)."""
    names = {info.id: info.name for info in all_sets}
    for change in changes:  # newest first
        set_id, name = change.changes.get("set"), change.changes.get("name")
        if isinstance(set_id, str) and isinstance(name, str):
            names.setdefault(set_id, name)
    return names


def _template_names(changes: list[audit.AuditEntry]) -> dict[str, str]:
    """The log records a template as type/language ("forgot-password/de"): named as its page
    is ("Forgot Password (Deutsch)")."""
    names = {}
    for change in changes:
        key = change.changes.get("template")
        if isinstance(key, str) and "/" in key:
            slug, language = key.split("/", 1)
            kind = TEMPLATE_TYPES.get(slug)
            if kind is not None and language in LANGUAGE_NAMES:
                names[key] = f"{kind.label} ({LANGUAGE_NAMES[language]})"
    return names


@router.post("", response_class=HTMLResponse)
async def create_set(
    request: Request, session: DbSession, admin: TenantConfigAdmin, form: CheckedForm
) -> Response:
    name = field(form, "name")
    try:
        created = await sets.create_set(
            session, tenant_id=admin.tenant.id, name=name, actor=actor_of(admin)
        )
    except (ValidationError, ConflictError) as exc:  # ConflictError: the most there may be
        await undo(session, admin)  # a name another request took: the write was rolled back
        context = await _list_context(
            session, admin, error=exc.message, error_field=exc.field, name=name
        )
        status = 422 if isinstance(exc, ValidationError) else 409
        return render(request, "console/template_sets.html", context, status_code=status)
    await session.commit()
    return RedirectResponse(f"{PAGE}/{created.id}?msg=set-created", status_code=303)


async def _set_context(
    session: DbSession, admin: Admin, request: Request, info: sets.SetInfo, **extra: Any
) -> dict[str, Any]:
    stored = await sets.stored_templates(session, admin.tenant.id, info.id)
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": crumbs((info.name, None)),
        "title": info.name,
        "set": info,
        "types": list(TEMPLATE_TYPES.values()),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in TEMPLATE_LANGUAGES],
        "stored": stored,
        "confirm_delete": request.query_params.get("confirm") == "delete" and not info.builtin,
        **extra,
    }


@router.get("/{set_id}", response_class=HTMLResponse)
async def set_page(
    request: Request, session: DbSession, admin: TenantConfigAdmin, set_id: str
) -> Response:
    info = await find_set(session, admin, set_id)
    context = await _set_context(session, admin, request, info)
    return render(request, "console/template_set.html", context)


@router.post("/{set_id}/rename", response_class=HTMLResponse)
async def rename_set(
    request: Request, session: DbSession, admin: TenantConfigAdmin, form: CheckedForm, set_id: str
) -> Response:
    info = await find_set(session, admin, set_id)
    try:
        renamed = await sets.rename_set(
            session,
            tenant_id=admin.tenant.id,
            set_id=info.id,
            name=field(form, "name"),
            actor=actor_of(admin),
        )
    except (ValidationError, ConflictError) as exc:
        await undo(session, admin)  # a name another request took: the write was rolled back
        context = await _set_context(
            session,
            admin,
            request,
            info,
            error=exc.message,
            error_field=exc.field,
            name=field(form, "name"),  # what was typed, not what is stored
        )
        return render(request, "console/template_set.html", context, status_code=422)
    await session.commit()
    message = "?msg=set-renamed" if renamed.name != info.name else ""  # saved as it was
    return RedirectResponse(f"{PAGE}/{info.id}{message}", status_code=303)


@router.post("/{set_id}/delete", response_class=HTMLResponse)
async def delete_set(
    request: Request, session: DbSession, admin: TenantConfigAdmin, form: CheckedForm, set_id: str
) -> Response:
    info = await find_set(session, admin, set_id)
    try:
        await sets.delete_set(
            session, tenant_id=admin.tenant.id, set_id=info.id, actor=actor_of(admin)
        )
    except ConflictError as exc:
        context = await _set_context(session, admin, request, info, error=str(exc))
        return render(request, "console/template_set.html", context, status_code=409)
    await session.commit()
    return RedirectResponse(f"{PAGE}?msg=set-deleted", status_code=303)
