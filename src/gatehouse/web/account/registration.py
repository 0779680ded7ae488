"""Register on the logon page (when the tenant switched self-registration on): e-mail and name;
the Self-Registration e-mail carries the activation link, in the browser's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gatehouse.errors import ValidationError
from gatehouse.processes import self_registration
from gatehouse.processes.registration_limit import TooManyRegistrations
from gatehouse.processes.settings import get_settings
from gatehouse.tenants.models import Tenant
from gatehouse.web.account.applications import app_query, application_from, page_extras
from gatehouse.web.account.routes import answer_page, field, preferred_language
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import (
    CurrentRuntime,
    CurrentTenant,
    DbSession,
    request_network,
    request_origin,
)
from gatehouse.web.timing import answer_floor

router = APIRouter(prefix="/register")
CheckedForm = Annotated[FormData, Depends(checked_form)]


async def _open(session: DbSession, tenant: Tenant) -> None:
    if not (await get_settings(session, tenant.id)).self_registration:
        raise HTTPException(status_code=404, detail=self_registration.REGISTRATION_CLOSED)


@router.get("", response_class=HTMLResponse)
async def register_page(
    request: Request, session: DbSession, tenant: CurrentTenant, app: str = ""
) -> Response:
    await _open(session, tenant)
    application = await application_from(session, tenant, app)
    context = {"tenant": tenant, "form": {}, **await page_extras(session, tenant, application)}
    return render(request, "account/register.html", context)


@router.post("", response_class=HTMLResponse)
async def register(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    await _open(session, tenant)
    application = await application_from(session, tenant, field(form, "app"))
    values = {name: field(form, name).strip() for name in ("email", "first_name", "last_name")}
    extras = await page_extras(session, tenant, application)
    try:
        # A new address costs a user, a link and an e-mail, a known one nothing: without the
        # floor, the answer's time would tell which addresses have accounts. A refusal (a
        # malformed field, the client's limit) tells nothing of accounts and is not held.
        async with answer_floor():
            queued = await self_registration.register(
                session,
                tenant=tenant,
                application=application,
                email=values["email"],
                first_name=values["first_name"],
                last_name=values["last_name"],
                language=preferred_language(request) or "en",
                origin=request_origin(request, runtime),
                network=request_network(request),
                limit=runtime.settings.registrations_per_client_hour,
            )
            await session.commit()
    except ValidationError as exc:
        context = {
            "tenant": tenant,
            "form": values,
            "error": exc.message,
            "error_field": exc.field,
            **extras,
        }
        return render(request, "account/register.html", context, status_code=400)
    except TooManyRegistrations as exc:
        context = {"tenant": tenant, "form": values, "error": str(exc), **extras}
        return render(request, "account/register.html", context, status_code=429)
    if queued:
        runtime.wake_worker()
    # To a page of its own, so a reload shows the answer again instead of registering (and
    # sending the e-mail) again.
    return RedirectResponse(f"/register/sent{app_query(application)}", status_code=303)


@router.get("/sent", response_class=HTMLResponse)
async def registered(
    request: Request, session: DbSession, tenant: CurrentTenant, app: str = ""
) -> Response:
    """The answer that reveals nothing: an e-mail is on its way if the address can register."""
    await _open(session, tenant)
    return await answer_page(
        request,
        session,
        tenant,
        app,
        title="Registration",
        notice=self_registration.REGISTRATION_ANSWER,
    )
