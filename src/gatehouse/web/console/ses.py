"""The Amazon Simple Email Service tab of Mail Server Configuration: sending domains (add,
verify, delete) and the From / Reply to addresses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import ConflictError, DeliveryError, NotFoundError, ValidationError
from gatehouse.mail import config as mail_config
from gatehouse.mail import ses
from gatehouse.mail.configure import save_ses
from gatehouse.mail.ses_client import SesClient
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import (
    PAGE,
    actor_of,
    confirm_replacement,
    field_error_text,
    page_context,
)
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentRuntime, DbSession

router = APIRouter(prefix="/admin/tenant-settings/mail-server/ses")
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
SES_FIELDS = ("from_username", "from_domain", "reply_to_username", "reply_to_domain")
Failure = ValidationError | DeliveryError | ConflictError | NotFoundError


async def _failed(
    request: Request, session: DbSession, admin: Admin, exc: Failure, form: FormData
) -> Response:
    if isinstance(exc, (ValidationError, ConflictError)):  # named by field, when it has one
        error, field = field_error_text(exc), exc.field
    elif isinstance(exc, DeliveryError):
        error, field = exc.message, None
    else:
        error, field = str(exc), None
    context = await page_context(session, admin, request, error=error, error_field=field)
    context.update(tab="ses")
    if any(name in form for name in SES_FIELDS):
        context["ses_form"] = {name: form.get(name) for name in SES_FIELDS}
    if "domain" in form:  # Add Domain refused: the name typed, to correct
        context["ses_domain"] = str(form.get("domain"))
    return render(request, "console/mail_server.html", context, status_code=422)


def _client(runtime: CurrentRuntime) -> SesClient:
    return SesClient(runtime.settings)


@router.post("", response_class=HTMLResponse)
async def save(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    raw = {name: form.get(name) for name in SES_FIELDS}
    try:
        current = await mail_config.get_config(session, admin.tenant.id)
        confirm_replacement(current, "ses", form)
        await save_ses(runtime, session, tenant_id=admin.tenant.id, actor=actor_of(admin), raw=raw)
    except (ValidationError, DeliveryError) as exc:
        return await _failed(request, session, admin, exc, form)
    return RedirectResponse(f"{PAGE}?tab=ses&msg=config-saved", status_code=303)


@router.post("/domains", response_class=HTMLResponse)
async def add_domain(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    try:
        await ses.add_domain(
            session,
            _client(runtime),
            tenant_id=admin.tenant.id,
            domain=str(form.get("domain", "")),
            actor=actor_of(admin),
            settings=runtime.settings,
        )
        await session.commit()
    except (ValidationError, DeliveryError, ConflictError) as exc:
        return await _failed(request, session, admin, exc, form)
    return RedirectResponse(f"{PAGE}?tab=ses&msg=domain-added", status_code=303)


@router.post("/domains/{domain}/verify", response_class=HTMLResponse)
async def verify_domain(
    request: Request,
    domain: str,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    try:
        record = await ses.verify_domain(
            session, _client(runtime), tenant_id=admin.tenant.id, domain=domain
        )
        await session.commit()
    except (DeliveryError, NotFoundError) as exc:
        return await _failed(request, session, admin, exc, form)
    return RedirectResponse(f"{PAGE}?tab=ses&msg=domain-{record.status}", status_code=303)


@router.post("/domains/{domain}/delete", response_class=HTMLResponse)
async def delete_domain(
    request: Request,
    domain: str,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    try:
        await ses.delete_domain(
            session,
            _client(runtime),
            tenant_id=admin.tenant.id,
            domain=domain,
            actor=actor_of(admin),
        )
        await session.commit()
    except (DeliveryError, NotFoundError, ConflictError) as exc:
        return await _failed(request, session, admin, exc, form)
    return RedirectResponse(f"{PAGE}?tab=ses&msg=domain-deleted", status_code=303)
