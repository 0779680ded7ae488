"""Console > Tenant Settings > Mail Delivery: every e-mail's status and attempts, at a glance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

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
from gatehouse.web.tenancy import CurrentRuntime, DbSession

LIST_PAGE = "/admin/tenant-settings/mail-delivery"
router = APIRouter(prefix=LIST_PAGE)
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CRUMBS = [("Tenant Settings", "/admin/tenant-settings"), ("Mail Delivery", None)]
LIST_PARAMS = ("status", "recipient", "page")
NO_SUCH_MESSAGE = "There is no such e-mail in this tenant."
# The Status menu: an e-mail waiting for another try is listed as "Retrying" and stored as
# queued, so the menu's Queued finds it and says so.
FILTER_LABELS = {**STATUS_LABELS, QUEUED: f"{STATUS_LABELS[QUEUED]} or {RETRYING.lower()}"}
STATUS_CHOICES = f"Status: Choose one of: {', '.join(FILTER_LABELS.values())}."


def list_query(params: Mapping[str, str]) -> str:
    """The list's filter and page as a query string ("" for the first page of all e-mails):
    a message opened from the list carries it, so that its links lead back to the same rows."""
    kept = {name: params[name] for name in LIST_PARAMS if params.get(name)}
    return f"?{urlencode(kept)}" if kept else ""


@router.get("", response_class=HTMLResponse)
async def delivery_page(
    request: Request,
    session: DbSession,
    admin: TenantConfigAdmin,
    runtime: CurrentRuntime,
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
        "list_query": list_query(
            {
                "status": status,
                "recipient": recipient,
                "page": str(listing.page) if listing.page > 1 else "",
            }
        ),
        "error": error,
        "kept_days": runtime.settings.delivery_log_days,
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
    back = LIST_PAGE + list_query(request.query_params)
    crumbs = [CRUMBS[0], ("Mail Delivery", back), (message.recipient, None)]
    context = {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": crumbs,
        "message": message,
        "attempts": attempts,
        "back": back,
        "filtered": any(request.query_params.get(name) for name in ("status", "recipient")),
    }
    return render(request, "console/mail_message.html", context)
