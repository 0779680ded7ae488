"""Console > Tenant Settings > Initial Password and Email Link Validity (Manage Tenant
Configuration): per e-mail process, 1-23 hours or 1-30 days."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import ValidationError
from gatehouse.tenants import link_validity
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import DbSession

router = APIRouter(prefix="/admin/tenant-settings/link-validity")
PAGE = "/admin/tenant-settings/link-validity"
TITLE = "Initial Password and Email Link Validity"
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


async def _context(
    session: DbSession,
    admin: Admin,
    *,
    sent: dict[str, Any] | None = None,
    shown: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The page; ``sent``: the values of a refused form, shown instead of the stored ones, and
    ``shown`` what its page had shown (what a save compares with)."""
    stored = await link_validity.validities(session, admin.tenant.id)
    current: dict[str, Any] = dict(stored)
    current |= sent or {}
    return {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": [("Tenant Settings", "/admin/tenant-settings"), (TITLE, None)],
        "title": TITLE,
        "rows": [
            (process, label, default, current[process])
            for process, (label, default) in link_validity.PROCESSES.items()
        ],
        "ranges": link_validity.UNIT_RANGES,
        "shown": shown or {process: _key(validity) for process, validity in stored.items()},
        "change_labels": {
            process: label for process, (label, _) in link_validity.PROCESSES.items()
        },
        "changes": await audit.entries(
            session, tenant_id=admin.tenant.id, resource=link_validity.RESOURCE, limit=10
        ),
        **extra,
    }


@router.get("", response_class=HTMLResponse)
async def link_validity_page(
    request: Request, session: DbSession, admin: TenantConfigAdmin
) -> Response:
    return render(request, "console/link_validity.html", await _context(session, admin))


@router.post("", response_class=HTMLResponse)
async def save(
    request: Request, session: DbSession, admin: TenantConfigAdmin, form: CheckedForm
) -> Response:
    shown = {process: field(form, f"{process}.shown") for process in link_validity.PROCESSES}
    try:
        values = {
            process: link_validity.parse_validity(
                process, field(form, f"{process}.amount"), field(form, f"{process}.unit")
            )
            for process in link_validity.PROCESSES
        }
    except ValidationError as exc:
        sent = {  # Jinja reads .amount and .unit of a dict as of the stored values
            process: {
                "amount": field(form, f"{process}.amount"),
                "unit": field(form, f"{process}.unit"),
            }
            for process in link_validity.PROCESSES
        }
        context = await _context(
            session, admin, sent=sent, shown=shown, error=exc.message, error_field=exc.field
        )
        return render(request, "console/link_validity.html", context, status_code=422)
    # Only the rows changed on this page: saving every row would turn back what another
    # administrator, or another tab, changed since the page was loaded.
    changed = {p: v for p, v in values.items() if not shown[p] or _key(v) != shown[p]}
    await link_validity.save_validities(
        session, tenant_id=admin.tenant.id, actor=actor_of(admin), values=changed
    )
    await session.commit()
    return RedirectResponse(f"{PAGE}?msg=validity-saved", status_code=303)


def _key(validity: link_validity.Validity) -> str:
    """A validity as the page keeps what it showed: ``5:hours``."""
    return f"{validity.amount}:{validity.unit}"
