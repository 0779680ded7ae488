"""Console > Tenant Settings > Self-Registration and Security Alerts (Manage Tenant
Configuration): switches, all off by default, each change in the change log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import or_
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.processes import settings as process_settings
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import DbSession

router = APIRouter(prefix="/admin/tenant-settings")
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]

# page slug -> (title, introduction, [(switch, label, hint)])
PAGES: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "self-registration": (
        "Self-Registration",
        "When on, the logon page offers Register: people create their own account and confirm "
        "their e-mail address with the Self-Registration e-mail before they can sign in.",
        [
            (
                "self_registration",
                "Allow self-registration on the logon page",
                "The e-mail uses the template set of the application whose logon page was used.",
            )
        ],
    ),
    "security-alerts": (
        "Security Alerts",
        "E-mails that tell users about changes to their account, in their profile language, "
        "with the Send Security Alert template.",
        [
            (
                "alert_password_changed",
                "Password changed",
                "Sent to the user whenever their password changes.",
            ),
            (
                "alert_email_changed",
                "E-mail address changed",
                "Sent to the old address whenever the e-mail address changes.",
            ),
        ],
    ),
}


async def _context(session: DbSession, admin: Admin, page: str) -> dict[str, Any]:
    title, intro, switches = PAGES[page]
    current = await process_settings.get_settings(session, admin.tenant.id)
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [("Tenant Settings", "/admin/tenant-settings"), (title, None)],
        "title": title,
        "intro": intro,
        "action": f"/admin/tenant-settings/{page}",
        "switches": [(name, label, hint, getattr(current, name)) for name, label, hint in switches],
        "switch_labels": {name: label for name, label, _ in switches},
        "changes": await audit.entries(
            session,
            tenant_id=admin.tenant.id,
            resource=process_settings.RESOURCE,
            about=or_(*(audit.mentions(name) for name, _, _ in switches)),
            limit=10,
        ),
    }


def _page_routes(page: str) -> None:
    @router.get(f"/{page}", response_class=HTMLResponse, name=f"{page}-page")
    async def show(request: Request, session: DbSession, admin: TenantConfigAdmin) -> Response:
        return render(
            request, "console/process_switches.html", await _context(session, admin, page)
        )

    @router.post(f"/{page}", name=f"{page}-save")
    async def save(session: DbSession, admin: TenantConfigAdmin, form: CheckedForm) -> Response:
        values = _turned(form, [name for name, _, _ in PAGES[page][2]])
        await process_settings.save_settings(
            session, tenant_id=admin.tenant.id, actor=actor_of(admin), **values
        )
        await session.commit()
        return RedirectResponse(
            f"/admin/tenant-settings/{page}?msg=switches-saved", status_code=303
        )


def _turned(form: FormData, names: list[str]) -> dict[str, bool]:
    """The switches the administrator turned on this page: those whose box differs from how
    the page showed it (``shown.<name>``). Saving every box would turn back what another
    administrator, or another tab, changed since this page was loaded."""
    turned = {}
    for name in names:
        on, shown = field(form, name) == "on", field(form, f"shown.{name}")
        if shown not in ("on", "off") or on != (shown == "on"):
            turned[name] = on
    return turned


for _page in PAGES:
    _page_routes(_page)
