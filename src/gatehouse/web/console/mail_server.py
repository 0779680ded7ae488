"""Console > Tenant Settings > Mail Server Configuration (Manage Tenant Configuration)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import ConflictError, DeliveryError, LimitReachedError, ValidationError
from gatehouse.mail import config as mail_config
from gatehouse.mail import delivery_log, ses
from gatehouse.mail.configure import save_custom
from gatehouse.mail.endpoint import SECURITY_LABELS
from gatehouse.mail.models import MailServerConfig, OutboxMessage
from gatehouse.mail.test_email import queue_test_email
from gatehouse.settings import Settings
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.delivery_labels import STEP_LABELS
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
    "from_username": "From",
    "from_domain": "From domain",
    "reply_to_username": "Reply to",
    "reply_to_domain": "Reply to domain",
    "domain": "Domain",
    "replace_confirmed": "Confirmation",
    "mode": "Amazon Simple Email Service",
    "to": "To",
}
TABS = (
    ("default", "Default"),
    ("custom", "Custom Mail Server"),
    ("ses", "Amazon Simple Email Service"),
)
# The change log names fields and values as the form does, the configuration's kind as its tab.
CHANGE_LABELS = {**FIELD_LABELS, "mode": "Configuration"}
CHANGE_VALUES = {
    "mode": dict(TABS),
    "security": SECURITY_LABELS,
    "authentication": {"password": "User name and password", "none": "None"},
}


def actor_of(admin: Admin) -> str:
    return f"admin:{admin.user.email}"


def probe_failure_text(exc: DeliveryError) -> str:
    step = STEP_LABELS.get(exc.step, exc.step)
    return (
        f"The check of the mail server failed at the {step} step: {exc.message} Nothing was saved."
    )


REPLACE_LABELS = {"custom": "custom mail server", "ses": "Amazon SES"}


def confirm_replacement(current: MailServerConfig | None, mode: str, form: FormData) -> None:
    """Saving one option replaces the other: the administrator must have ticked the box."""
    if current is None or current.mode == mode or form.get("replace_confirmed") == "yes":
        return
    raise ValidationError(
        "replace_confirmed",
        f"Confirm that saving replaces the {REPLACE_LABELS[current.mode]} configuration.",
    )


def field_error_text(exc: ValidationError | ConflictError) -> str:
    return exc.labelled(FIELD_LABELS)


async def page_context(
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
    tab = request.query_params.get("tab") or (current.mode if current else "default")
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
        "change_labels": CHANGE_LABELS,
        "change_values": CHANGE_VALUES,
        "crumbs": [
            ("Tenant Settings", "/admin/tenant-settings"),
            ("Mail Server Configuration", None),
        ],
        "confirm_remove": request.query_params.get("confirm") == "remove" and current,
        "confirm_domain": confirm_domain(request),
        "test_message": await test_message(session, tenant_id, request),
        **await ses_context(session, admin, runtime_settings(request), current),
        **extra,
    }


def confirm_domain(request: Request) -> str | None:
    """The SES domain whose Delete was chosen: the tab asks before deleting it (adding it back
    means publishing and verifying its records again)."""
    if request.query_params.get("confirm") != "delete-domain":
        return None
    return request.query_params.get("domain")


def runtime_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


async def ses_context(
    session: DbSession, admin: Admin, settings: Settings, current: MailServerConfig | None
) -> dict[str, Any]:
    """What the Amazon Simple Email Service tab shows."""
    if not settings.ses_available:
        return {"ses_available": False}
    chosen = mail_config.ses_addresses(current) if current and current.mode == "ses" else {}
    return {
        "ses_available": True,
        "ses_domains": await ses.list_domains(session, admin.tenant.id),
        "ses_choices": await ses.choosable_domains(session, admin.tenant.id, settings),
        "ses_form": chosen,
        "ses_max_domains": ses.MAX_DOMAINS,
        "verify_in_time": ses.VERIFY_IN_TIME,
    }


def _form_from_config(current: MailServerConfig | None) -> dict[str, Any]:
    if current is None or current.mode != "custom":
        return {"security": "ssl", "authentication": "password"}
    view = mail_config.public_view(current)
    return {k: ("" if view.get(k) is None else view.get(k)) for k in FORM_FIELDS if k in view}


async def test_message(session: DbSession, tenant_id: str, request: Request) -> Any:
    """The test e-mail named by ``?test=`` (after Send Test E-Mail), if it is the tenant's."""
    message_id = request.query_params.get("test")
    if not message_id:
        return None
    return await delivery_log.find_message(session, tenant_id=tenant_id, message_id=message_id)


@router.get("", response_class=HTMLResponse)
async def mail_server_page(
    request: Request, session: DbSession, admin: TenantConfigAdmin
) -> Response:
    return render(request, "console/mail_server.html", await page_context(session, admin, request))


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
        current = await mail_config.get_config(session, admin.tenant.id)
        confirm_replacement(current, "custom", form)
        await save_custom(
            runtime, session, tenant_id=admin.tenant.id, actor=actor_of(admin), raw=raw
        )
    except (ValidationError, DeliveryError, LimitReachedError) as exc:
        status = 422
        if isinstance(exc, ValidationError):
            error, field = field_error_text(exc), exc.field
        elif isinstance(exc, LimitReachedError):  # the tenant's checks in the hour
            error, field, status = exc.message, None, 429
        else:
            error, field = probe_failure_text(exc), None
        context = await page_context(session, admin, request, error=error, error_field=field)
        context.update(tab="custom", form={k: v for k, v in raw.items() if k != "password"})
        return render(request, "console/mail_server.html", context, status_code=status)
    return RedirectResponse(f"{PAGE}?tab=custom&msg=config-saved", status_code=303)


@router.post("/remove")
async def remove(session: DbSession, admin: TenantConfigAdmin, form: CheckedForm) -> Response:
    removed = await mail_config.remove_config(
        session, tenant_id=admin.tenant.id, actor=actor_of(admin)
    )
    await session.commit()
    # Sent again (a reload, a second tab): the default is in force, and nothing was removed.
    message = "&msg=config-removed" if removed else ""
    return RedirectResponse(f"{PAGE}?tab=default{message}", status_code=303)


@router.post("/test-email", response_class=HTMLResponse)
async def send_test_email(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
) -> Response:
    to = field(form, "to").strip()  # emptied: said so, not sent to the administrator unasked
    try:
        message_id = await queue_test_email(
            runtime,
            tenant_id=admin.tenant.id,
            recipient=to,
            language=admin.user.language,
            limit=runtime.settings.test_emails_per_tenant_hour,
        )
    except (ValidationError, LimitReachedError) as exc:
        refused = isinstance(exc, ValidationError)  # the address, not the hour's limit
        text = field_error_text(exc) if isinstance(exc, ValidationError) else exc.message
        context = await page_context(
            session,
            admin,
            request,
            test_error=text,
            test_address_refused=refused,
            test_to=to,  # to correct, not to send again to someone else
        )
        status = 422 if refused else 429
        return render(request, "console/mail_server.html", context, status_code=status)
    tab = request.query_params.get("tab", "default")
    return RedirectResponse(f"{PAGE}?tab={tab}&test={message_id}", status_code=303)
