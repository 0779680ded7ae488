"""Console > Tenant Settings > Mail Delivery: every e-mail's status and attempts, at a glance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import ValidationError
from gatehouse.mail import delivery_log
from gatehouse.mail.models import QUEUED
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.charts import hourly_chart
from gatehouse.web.console.delivery_labels import RETRYING, STATUS_LABELS
from gatehouse.web.pages import page_number, render
from gatehouse.web.tenancy import DbSession

router = APIRouter(prefix="/admin/tenant-settings/mail-delivery")
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CRUMBS = [("Tenant Settings", "/admin/tenant-settings"), ("Mail Delivery", None)]
NO_SUCH_MESSAGE = "There is no such e-mail in this tenant."
# The Status menu: an e-mail waiting for another try is listed as "Retrying" and stored as
# queued, so the menu's Queued finds it and says so.
FILTER_LABELS = {**STATUS_LABELS, QUEUED: f"{STATUS_LABELS[QUEUED]} or {RETRYING.lower()}"}
STATUS_CHOICES = f"Status: Choose one of: {', '.join(FILTER_LABELS.values())}."


@router.get("", response_class=HTMLResponse)
async def delivery_page(
    request: Request,
    session: DbSession,
    admin: TenantConfigAdmin,
    status: str = "",
    recipient: str = "",
    page: str = "1",
) -> Response:
    error = None
    try:
        listing = await _listing(session, admin, status, recipient, page_number(page))
    except ValidationError as exc:  # the choices named as the menu names them
        error = STATUS_CHOICES if exc.field == "status" else exc.message
        status = ""
        listing = await _listing(session, admin, "", recipient, 1)
    hours = await delivery_log.hourly_counts(session, tenant_id=admin.tenant.id)
    context = {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": CRUMBS,
        "listing": listing,
        "status": status,
        "recipient": recipient,
        "statuses": {status: FILTER_LABELS[status] for status in delivery_log.STATUSES},
        "chart": hourly_chart(hours),
        "error": error,
        "totals": {
            name: sum(getattr(h, name) for h in hours) for name in ("sent", "retried", "failed")
        },
    }
    return render(request, "console/mail_delivery.html", context)


async def _listing(
    session: DbSession, admin: Admin, status: str, recipient: str, page: int
) -> delivery_log.MessagePage:
    """The page asked for, or the last one if it is beyond (a link kept from a longer log)."""

    async def fetch(number: int) -> delivery_log.MessagePage:
        return await delivery_log.list_messages(
            session,
            tenant_id=admin.tenant.id,
            status=status or None,
            recipient=recipient or None,
            page=number,
        )

    found = await fetch(page)
    return found if found.page <= found.pages else await fetch(found.pages)


@router.get("/{message_id}", response_class=HTMLResponse)
async def message_page(
    request: Request, session: DbSession, admin: TenantConfigAdmin, message_id: str
) -> Response:
    found = await delivery_log.get_message(
        session, tenant_id=admin.tenant.id, message_id=message_id
    )
    if found is None:
        raise HTTPException(status_code=404, detail=NO_SUCH_MESSAGE)
    message, attempts = found
    crumbs = [
        CRUMBS[0],
        ("Mail Delivery", "/admin/tenant-settings/mail-delivery"),
        (message.recipient, None),
    ]
    context = {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": crumbs,
        "message": message,
        "attempts": attempts,
    }
    return render(request, "console/mail_message.html", context)
