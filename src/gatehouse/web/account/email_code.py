"""The second step of signing in to an application that asks for an e-mail code: after the
password, a pending sign-in (a short-lived server-side session of kind ``otp``) waits for the
8-digit code sent by e-mail; the right code turns it into a user session."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gatehouse.accounts.models import User, WebSession
from gatehouse.accounts.sessions import load_session, revoke_session
from gatehouse.accounts.users import get_user
from gatehouse.applications.models import Application
from gatehouse.applications.service import is_builtin
from gatehouse.crypto import hash_token, new_token
from gatehouse.db.base import utcnow
from gatehouse.processes import email_otp
from gatehouse.runtime import Runtime
from gatehouse.tenants.models import Tenant
from gatehouse.web.account.applications import (
    after_sign_in,
    app_query,
    application_from,
    page_extras,
)
from gatehouse.web.account.routes import (
    field,
    preferred_language,
    set_session_cookie,
    signed_in,
)
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentRuntime, CurrentTenant, DbSession, request_origin

router = APIRouter(prefix="/logon/code")
PENDING_COOKIE = "gh_pending"
PENDING_FOR = timedelta(minutes=15)
PENDING_KIND = "otp"
CheckedForm = Annotated[FormData, Depends(checked_form)]


async def _start_pending(session: AsyncSession, tenant: Tenant, user: User) -> str:
    token = new_token()
    session.add(
        WebSession(
            token_hash=hash_token(token),
            tenant_id=tenant.id,
            user_id=user.id,
            kind=PENDING_KIND,
            expires_at=utcnow() + PENDING_FOR,
        )
    )
    await session.flush()
    return token


async def begin(
    request: Request,
    session: AsyncSession,
    runtime: Runtime,
    tenant: Tenant,
    user: User,
    application: Application,
    *,
    identifier: str,
) -> Response:
    """After the right password for an application with the e-mail second factor: send a code
    (or keep the one sent less than 3 minutes ago) and go to the code page. While e-mail codes
    are locked, the logon page again, saying until when, with what was typed (the address
    is not shown to whoever typed a login name)."""
    try:
        issued = await email_otp.issue_code(
            session,
            tenant=tenant,
            user=user,
            application=application,
            origin=request_origin(request, runtime),
            language=preferred_language(request),
        )
    except email_otp.OtpLocked as exc:
        context = {"tenant": tenant, "error": exc.message, "identifier": identifier}
        context.update(await page_extras(session, tenant, application))
        return render(request, "account/logon.html", context, status_code=403)
    token = await _start_pending(session, tenant, user)
    await session.commit()
    if issued.sent:
        runtime.wake_worker()
    notice = "code-sent" if issued.sent else "code-kept"
    response = RedirectResponse(
        f"/logon/code?msg={notice}{app_query(application, first=False)}", status_code=303
    )
    set_session_cookie(request, response, PENDING_COOKIE, token, "/logon/code")
    return response


async def _pending_user(request: Request, session: AsyncSession, tenant: Tenant) -> User | None:
    token = request.cookies.get(PENDING_COOKIE)
    record = (
        await load_session(session, tenant_id=tenant.id, token=token, kind=PENDING_KIND)
        if token
        else None
    )
    user = await get_user(session, tenant.id, record.user_id) if record else None
    return user if user is not None and user.status == "active" else None


def _page(
    request: Request,
    tenant: Tenant,
    user: User,
    application: Application | None,
    *,
    error: str | None = None,
    error_field: str | None = None,
    locked: bool = False,
    status_code: int = 200,
) -> Response:
    """The code page; ``locked``: codes are locked (the error says until when), so no form;
    ``error_field``: the field the error is about, marked for assistive technology."""
    shown = None if application is None or is_builtin(application) else application
    context = {
        "tenant": tenant,
        "application": shown,
        "app_id": shown.id if shown else "",
        "address": email_otp.mask_address(user.email),
        "error": error,
        "error_field": error_field,
        "locked": locked,
    }
    return render(request, "account/email_code.html", context, status_code=status_code)


def _session_ended(application: Application | None) -> Response:
    """Back to the logon page of the application, saying why: the pending sign-in is gone."""
    query = f"?msg=session-expired{app_query(application, first=False)}"
    return RedirectResponse(f"/{query}", status_code=303)


@router.get("", response_class=HTMLResponse)
async def code_page(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    app: str = "",
    refused: str = "",
) -> Response:
    application = await application_from(session, tenant, app)
    user = await _pending_user(request, session, tenant)
    if user is None:
        return RedirectResponse(f"/{app_query(application)}", status_code=303)
    standing = await email_otp.standing(session, user)
    if standing.locked_until is not None:
        error = email_otp.locked_message(standing.locked_until)
        return _page(request, tenant, user, application, error=error, locked=True)
    refusal = _refusal(refused, standing)
    return _page(request, tenant, user, application, error=refusal, error_field=refusal and "code")


def _refusal(reason: str, standing: email_otp.Standing) -> str | None:
    """The sentence of a refused code, from where the codes stand now (not from the address
    alone, so an edited address cannot make the page say more)."""
    if reason == "wrong" and standing.attempts_left < email_otp.MAX_WRONG_CODES:
        return email_otp.wrong_message(standing.attempts_left)
    return {"expired": email_otp.CODE_EXPIRED, "malformed": email_otp.CODE_MALFORMED}.get(reason)


@router.post("", response_class=HTMLResponse)
async def check_code(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    application = await application_from(session, tenant, field(form, "app"))
    user = await _pending_user(request, session, tenant)
    if user is None:
        return _session_ended(application)
    try:
        await email_otp.verify_code(session, user=user, code=field(form, "code"))
    except email_otp.OtpError as exc:
        await session.commit()  # the wrong code counts
        # The page again by a redirect: a reload shows it, rather than posting the code again
        # (and spending another attempt).
        query = f"?refused={exc.reason}{app_query(application, first=False)}"
        return RedirectResponse(f"/logon/code{query}", status_code=303)
    await revoke_session(
        session, token=request.cookies.get(PENDING_COOKIE, ""), tenant_id=tenant.id
    )
    response = await signed_in(
        request,
        session,
        runtime,
        tenant_id=tenant.id,
        user_id=user.id,
        kind="user",
        location=after_sign_in(application),
        email_code_passed=True,
    )
    response.delete_cookie(PENDING_COOKIE, path="/logon/code")
    return response


@router.post("/resend", response_class=HTMLResponse)
async def resend_code(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    application = await application_from(session, tenant, field(form, "app"))
    user = await _pending_user(request, session, tenant)
    if user is None:
        return _session_ended(application)
    try:
        issued = await email_otp.issue_code(
            session,
            tenant=tenant,
            user=user,
            application=application,
            origin=request_origin(request, runtime),
            language=preferred_language(request),
        )
    except email_otp.OtpLocked as exc:
        return _page(
            request, tenant, user, application, error=exc.message, locked=True, status_code=429
        )
    await session.commit()
    if issued.sent:
        runtime.wake_worker()
    notice = "code-sent" if issued.sent else "code-kept"
    return RedirectResponse(
        f"/logon/code?msg={notice}{app_query(application, first=False)}", status_code=303
    )
