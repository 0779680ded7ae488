"""Console > Tenant Settings > Mail Server Configuration (Manage Tenant Configuration)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import DeliveryError, ValidationError
from gatehouse.mail import config as mail_config
from gatehouse.mail.configure import save_custom
from gatehouse.mail.models import MailServerConfig, OutboxMessage
from gatehouse.mail.test_email import queue_test_email
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentRuntime, DbSession

router = APIRouter(prefix="/admin/tenant-settings/mail-server")
PAGE = "/admin/tenant-settings/mail-server"
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
FORM_FIELDS = (
    "host",
    "port",
    "security",
    "authentication",
    "username",
    "password",
    "sender_email",
    "sender_name",
    "reply_to",
    "rate_limit_per_minute",
)
FIELD_LABELS = {
    "host": "Host",
    "port": "Port",
    "security": "Security",
    "authentication": "Authentication",
    "username": "User Name",
    "password": "Password",
    "sender_email": "Sender E-Mail",
    "sender_name": "Sender Name",
    "reply_to": "Reply-To",
    "rate_limit_per_minute": "Rate Limit",
    "to": "To",
}
STEP_LABELS = {
    "dns": "DNS lookup",
    "connect": "TCP connection",
    "tls": "TLS handshake",
    "starttls": "STARTTLS",
    "ehlo": "EHLO",
    "auth": "authentication (AUTH)",
    "mail": "sender (MAIL FROM)",
    "rcpt": "recipient (RCPT TO)",
    "data": "message (DATA)",
    "quit": "QUIT",
}
TABS = (
    ("default", "Default"),
    ("custom", "Custom Mail Server"),
    ("ses", "Amazon Simple Email Service"),
)


def actor_of(admin: Admin) -> str:
    return f"admin:{admin.user.email}"


def probe_failure_text(exc: DeliveryError) -> str:
    step = STEP_LABELS.get(exc.step, exc.step)
    return (
        f"The check of the mail server failed at the {step} step: {exc.message} Nothing was saved."
    )


def field_error_text(exc: ValidationError) -> str:
    return f"{FIELD_LABELS.get(exc.field, exc.field)}: {exc.message}"


async def _page_context(
    session: DbSession, admin: Admin, request: Request, **extra: Any
) -> dict[str, Any]:
    tenant_id = admin.tenant.id
    current = await mail_config.get_config(session, tenant_id)
    recent = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.tenant_id == tenant_id)
        .order_by(OutboxMessage.created_at.desc())
        .limit(10)
    )
    tab = request.query_params.get("tab") or ("custom" if current else "default")
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "current": current,
        "view": mail_config.public_view(current),
        "tabs": TABS,
        "tab": tab if tab in dict(TABS) else "default",
        "form": _form_from_config(current),
        "recent": list(recent.all()),
        "changes": await audit.entries(
            session, tenant_id=tenant_id, resource=mail_config.RESOURCE, limit=10
        ),
        "crumbs": [
            ("Tenant Settings", "/admin/tenant-settings"),
            ("Mail Server Configuration", None),
        ],
        "confirm_remove": request.query_params.get("confirm") == "remove" and current,
        "test_message": await _test_message(session, tenant_id, request),
        **extra,
    }


def _form_from_config(current: MailServerConfig | None) -> dict[str, Any]:
    if current is None or current.mode != "custom":
        return {"security": "ssl", "authentication": "password"}
    view = mail_config.public_view(current)
    return {k: ("" if view.get(k) is None else view.get(k)) for k in FORM_FIELDS if k in view}


async def _test_message(session: DbSession, tenant_id: str, request: Request) -> Any:
    message_id = request.query_params.get("test")
    if not message_id:
        return None
    return await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.tenant_id == tenant_id, OutboxMessage.id == message_id
        )
    )


@router.get("", response_class=HTMLResponse)
async def mail_server_page(
    request: Request, session: DbSession, admin: TenantConfigAdmin
) -> Response:
    return render(request, "console/mail_server.html", await _page_context(session, admin, request))


@router.post("", response_class=HTMLResponse)
async def save(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    raw = {name: form.get(name) for name in FORM_FIELDS}
    try:
        await save_custom(
            runtime, session, tenant_id=admin.tenant.id, actor=actor_of(admin), raw=raw
        )
    except (ValidationError, DeliveryError) as exc:
        if isinstance(exc, ValidationError):
            error, field = field_error_text(exc), exc.field
        else:
            error, field = probe_failure_text(exc), None
        context = await _page_context(session, admin, request, error=error, error_field=field)
        context.update(tab="custom", form={k: v for k, v in raw.items() if k != "password"})
        return render(request, "console/mail_server.html", context, status_code=422)
    return RedirectResponse(f"{PAGE}?tab=custom&msg=config-saved", status_code=303)


@router.post("/remove")
async def remove(session: DbSession, admin: TenantConfigAdmin, form: CheckedForm) -> Response:
    await mail_config.remove_config(session, tenant_id=admin.tenant.id, actor=actor_of(admin))
    await session.commit()
    return RedirectResponse(f"{PAGE}?tab=default&msg=config-removed", status_code=303)


@router.post("/test-email", response_class=HTMLResponse)
async def send_test_email(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    to = str(form.get("to") or admin.user.email)
    try:
        message_id = await queue_test_email(runtime, tenant_id=admin.tenant.id, recipient=to)
    except ValidationError as exc:
        context = await _page_context(session, admin, request, error=field_error_text(exc))
        return render(request, "console/mail_server.html", context, status_code=422)
    tab = request.query_params.get("tab", "default")
    return RedirectResponse(f"{PAGE}?tab={tab}&test={message_id}", status_code=303)
