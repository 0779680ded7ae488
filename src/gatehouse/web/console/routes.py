"""Console shell: sign-in, home with tiles, tenant settings, sign-out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.sessions import revoke_session
from gatehouse.accounts.users import authorizations_of
from gatehouse.errors import LimitReachedError
from gatehouse.processes.logon import log_on
from gatehouse.tenants import service as tenants
from gatehouse.web import timing
from gatehouse.web.account.routes import field, signed_in
from gatehouse.web.console.auth import (
    Admin,
    CurrentAdmin,
    require,
    return_to,
    signed_in_admin,
)
from gatehouse.web.console.tiles import visible_groups
from gatehouse.web.csrf import ADMIN_COOKIE, checked_form, rotate_csrf_cookie
from gatehouse.web.pages import render
from gatehouse.web.tenancy import (
    CurrentRuntime,
    CurrentTenant,
    DbSession,
    request_network,
    request_origin,
)

router = APIRouter(prefix="/admin")
SIGN_IN_FAILED = (
    "The e-mail, login name or password is not correct, or you are not an administrator."
)
CheckedForm = Annotated[FormData, Depends(checked_form)]
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, session: DbSession, tenant: CurrentTenant) -> Response:
    """The sign-in form; for an administrator signed in already (a bookmark, Back after
    signing in, a second tab), the page it would lead to."""
    if await signed_in_admin(request, session, tenant) is not None:
        return RedirectResponse(return_to(request.query_params.get("next")), status_code=303)
    context = {"tenant": tenant, "next": return_to(request.query_params.get("next"))}
    return render(request, "console/signin.html", context)


@router.post("/signin", response_class=HTMLResponse)
async def signin(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    identifier = field(form, "identifier")
    context = {"tenant": tenant, "identifier": identifier, "next": return_to(field(form, "next"))}
    since = timing.started()
    try:
        result = await log_on(
            session,
            tenant=tenant,
            identifier=identifier,
            password=field(form, "password"),
            origin=request_origin(request, runtime),
            network=request_network(request),
            limit=runtime.settings.failed_logons_per_client_hour,
        )
    except LimitReachedError as exc:
        context["error"] = exc.message
        return render(request, "console/signin.html", context, status_code=429)
    await session.commit()  # failed logons count here too (lockout, client limit)
    if result.mail_queued:
        runtime.wake_worker()
    user = result.user
    if user is None or not await authorizations_of(session, tenant.id, user.id):
        # Unknown, wrong, locked and not an administrator alike (web/timing.py); the read
        # of the authorizations ended first (a commit keeps the tenant loaded for the page),
        # so no connection waits with it.
        await session.commit()
        await timing.wait_out_floor(since, timing.LOGON_FLOOR_SECONDS)
        context["error"] = SIGN_IN_FAILED
        return render(request, "console/signin.html", context, status_code=401)
    return await signed_in(
        request,
        session,
        runtime,
        tenant_id=tenant.id,
        user_id=user.id,
        kind="admin",
        location=return_to(field(form, "next")),
    )


@router.post("/signout")
async def signout(
    request: Request, session: DbSession, tenant: CurrentTenant, form: CheckedForm
) -> Response:
    token = request.cookies.get(ADMIN_COOKIE)
    if token:
        await revoke_session(session, token=token, tenant_id=tenant.id)
        await session.commit()
    response = RedirectResponse("/admin/signin?msg=signed-out", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/admin")
    rotate_csrf_cookie(request, response)
    return response


@router.get("", response_class=HTMLResponse)
async def home(request: Request, admin: CurrentAdmin) -> Response:
    context = {
        "admin": admin,
        "tenant": admin.tenant,
        "groups": visible_groups(admin.authorizations),
    }
    return render(request, "console/home.html", context)


@router.get("/tenant-settings", response_class=HTMLResponse)
async def tenant_settings(
    request: Request, session: DbSession, admin: TenantConfigAdmin
) -> Response:
    context = await tenant_settings_context(session, admin)
    return render(request, "console/tenant_settings.html", context)


async def tenant_settings_context(
    session: DbSession, admin: Admin, *, display_name: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The Tenant Settings page; ``display_name``: a refused name, shown to correct."""
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "sections": settings_sections(),
        "display_name": admin.tenant.display_name if display_name is None else display_name,
        "changes": await audit.entries(
            session, tenant_id=admin.tenant.id, resource=tenants.RESOURCE, limit=10
        ),
        **extra,
    }


def settings_sections() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(section, [(item, description, href)]) of the Tenant Settings page."""
    return [
        (
            "External Services",
            [
                (
                    "Mail Server Configuration",
                    "Send the tenant's e-mails through the default server, your own SMTP "
                    "server or Amazon SES.",
                    "/admin/tenant-settings/mail-server",
                ),
                (
                    "Mail Delivery",
                    "Every e-mail of the tenant: status, attempts and errors, with a 24-hour "
                    "chart.",
                    "/admin/tenant-settings/mail-delivery",
                ),
            ],
        ),
        (
            "Authentication",
            [
                (
                    "Initial Password and Email Link Validity",
                    "How long the links in registration, invitation and password e-mails "
                    "stay valid.",
                    "/admin/tenant-settings/link-validity",
                ),
            ],
        ),
        (
            "Customization",
            [
                (
                    "E-Mail Template Sets",
                    "What the tenant's e-mails say, per process and language; assigned per "
                    "application.",
                    "/admin/email-template-sets",
                ),
            ],
        ),
        (
            "Users and Security",
            [
                (
                    "Self-Registration",
                    "Let people create their own account from the logon page.",
                    "/admin/tenant-settings/self-registration",
                ),
                (
                    "Security Alerts",
                    "E-mail users when their password or e-mail address changes.",
                    "/admin/tenant-settings/security-alerts",
                ),
            ],
        ),
    ]
