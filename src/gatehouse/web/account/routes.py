"""End-user pages on a tenant host: logon, forgot password, reset, activation, profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User, WebSession
from gatehouse.accounts.sessions import end_sessions, load_session, revoke_session, start_session
from gatehouse.accounts.tokens import (
    ACTIVATE_ACCOUNT,
    RESET_PASSWORD,
    TOKEN_EXPIRED,
    UsedLink,
    find_token,
)
from gatehouse.accounts.users import (
    LANGUAGE_NAMES,
    LANGUAGES,
    authorizations_of,
    get_user,
)
from gatehouse.applications import service as applications
from gatehouse.errors import LimitReachedError, TokenError, ValidationError
from gatehouse.processes import activation, forgot_password, security_alerts
from gatehouse.processes.logon import check_password, log_on
from gatehouse.processes.password_links import Outcome, renew_expired_link
from gatehouse.processes.user_log import (
    PASSWORD_CHANGED_ON_PROFILE,
    record_own_change,
    set_own_password,
)
from gatehouse.runtime import Runtime
from gatehouse.tenants.models import Tenant
from gatehouse.web import timing
from gatehouse.web.accept_language import best_language
from gatehouse.web.account.applications import (
    after_sign_in,
    app_query,
    application_from,
    page_extras,
    served_application,
)
from gatehouse.web.csrf import (
    ADMIN_COOKIE,
    USER_COOKIE,
    checked_form,
    is_https,
    rotate_csrf_cookie,
)
from gatehouse.web.head import is_head
from gatehouse.web.pages import render
from gatehouse.web.tenancy import (
    CurrentRuntime,
    CurrentTenant,
    DbSession,
    request_network,
    request_origin,
)
from gatehouse.web.timing import answer_floor

router = APIRouter()
LOGON_FAILED = "The e-mail, login name or password is not correct."
PASSWORDS_DIFFER = "The two passwords do not match."
WRONG_CURRENT_PASSWORD = "The current password is not correct."
CURRENT_PASSWORD_NEEDED = "Enter your current password."
IDENTIFIER_NEEDED = "Enter your e-mail address or login name."
IDENTIFIER_TOO_LONG = "An e-mail address or login name has at most 254 characters."
CODE_NEEDED = "This application asks for a code sent to your e-mail address: sign in to get one."
CheckedForm = Annotated[FormData, Depends(checked_form)]


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def preferred_language(request: Request) -> str | None:
    """The supported language the browser's Accept-Language header ranks highest."""
    return best_language(request.headers.get("accept-language", ""))


def set_session_cookie(
    request: Request, response: Response, name: str, token: str, path: str
) -> None:
    response.set_cookie(
        name, token, httponly=True, samesite="lax", secure=is_https(request), path=path
    )


async def signed_in(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    *,
    tenant_id: str,
    user_id: str,
    kind: str,
    location: str,
    email_code_passed: bool = False,
) -> Response:
    """Start a fresh session (``user`` pages or ``admin`` console), commit, and redirect with
    its cookie and a new CSRF token: every way of signing in ends here."""
    cookie, path = (USER_COOKIE, "/") if kind == "user" else (ADMIN_COOKIE, "/admin")
    token = await start_session(
        session,
        tenant_id=tenant_id,
        user_id=user_id,
        kind=kind,
        hours=runtime.settings.session_hours,
        email_code_passed=email_code_passed,
    )
    await session.commit()
    response = RedirectResponse(location, status_code=303)
    set_session_cookie(request, response, cookie, token, path)
    rotate_csrf_cookie(request, response)
    return response


async def user_session(
    request: Request, session: AsyncSession, tenant: Tenant
) -> WebSession | None:
    """The browser's live end-user session on this tenant, if any."""
    token = request.cookies.get(USER_COOKIE)
    if not token:
        return None
    return await load_session(session, tenant_id=tenant.id, token=token, kind="user")


async def signed_in_user(
    request: Request, session: DbSession, tenant: CurrentTenant
) -> User | None:
    record = await user_session(request, session, tenant)
    return await get_user(session, tenant.id, record.user_id) if record else None


@router.get("/", response_class=HTMLResponse)
async def logon_page(
    request: Request, session: DbSession, tenant: CurrentTenant, app: str = ""
) -> Response:
    application = await application_from(session, tenant, app)  # the application it serves
    context: dict[str, object] = {"tenant": tenant}
    signed_in_now = await user_session(request, session, tenant)
    if signed_in_now is not None:
        if signed_in_now.email_code_passed or not (application and application.email_otp):
            return RedirectResponse(after_sign_in(application), status_code=303)
        # Signed in without a code: this application's second factor is asked for now.
        context["flash"] = ("info", CODE_NEEDED)
    context.update(await page_extras(session, tenant, application))
    return render(request, "account/logon.html", context)


@router.post("/", response_class=HTMLResponse)
async def logon(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    identifier = field(form, "identifier")
    application = await served_application(session, tenant, field(form, "app"))
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
            application=None if applications.is_builtin(application) else application,
        )
    except LimitReachedError as exc:
        context = {"tenant": tenant, "error": exc.message, "identifier": identifier}
        context.update(await page_extras(session, tenant, application))
        return render(request, "account/logon.html", context, status_code=429)
    await session.commit()  # the counts of failed logons, and a Locked Password e-mail
    if result.mail_queued:
        runtime.wake_worker()
    user = result.user
    if user is None:
        # Unknown, wrong and locked alike: timing must not tell which (web/timing.py).
        await timing.wait_out_floor(since, timing.LOGON_FLOOR_SECONDS)
        context = {"tenant": tenant, "error": LOGON_FAILED, "identifier": identifier}
        context.update(await page_extras(session, tenant, application))
        return render(request, "account/logon.html", context, status_code=401)
    if application.email_otp:  # the application's second factor: a code by e-mail
        from gatehouse.web.account import email_code  # it builds on this module

        return await email_code.begin(
            request, session, runtime, tenant, user, application, identifier=identifier
        )
    return await signed_in(
        request,
        session,
        runtime,
        tenant_id=tenant.id,
        user_id=user.id,
        kind="user",
        location=after_sign_in(application),
    )


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_page(
    request: Request, session: DbSession, tenant: CurrentTenant, app: str = ""
) -> Response:
    application = await application_from(session, tenant, app)
    context = {"tenant": tenant, **await page_extras(session, tenant, application)}
    return render(request, "account/forgot.html", context)


@router.post("/forgot-password", response_class=HTMLResponse)
async def forgot(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    identifier = field(form, "identifier").strip()
    application = await application_from(session, tenant, field(form, "app"))
    if not identifier or len(identifier) > 254:
        context = {
            "tenant": tenant,
            "error": IDENTIFIER_TOO_LONG if identifier else IDENTIFIER_NEEDED,
            "error_field": "identifier",
            "identifier": identifier,  # kept, to be corrected
        }
        context.update(await page_extras(session, tenant, application))
        return render(request, "account/forgot.html", context, status_code=400)
    try:
        async with answer_floor():
            outcome = await forgot_password.request_reset(
                session,
                tenant=tenant,
                identifier=identifier,
                origin=request_origin(request, runtime),
                language=preferred_language(request),
                network=request_network(request),
                limit=runtime.settings.forgot_password_per_client_hour,
                application=application,
            )
            await session.commit()
    except LimitReachedError as exc:
        context = {"tenant": tenant, "error": exc.message, "identifier": identifier}
        context.update(await page_extras(session, tenant, application))
        return render(request, "account/forgot.html", context, status_code=429)
    if outcome is Outcome.QUEUED:
        runtime.wake_worker()
    # To a page of its own, so a reload shows the answer again instead of asking for (and
    # counting) another e-mail.
    answer = "limit" if outcome is Outcome.LIMIT_REACHED else "sent"
    return RedirectResponse(f"/forgot-password/{answer}{app_query(application)}", status_code=303)


@router.get("/forgot-password/sent", response_class=HTMLResponse)
async def forgot_sent(
    request: Request, session: DbSession, tenant: CurrentTenant, app: str = ""
) -> Response:
    """The answer that reveals nothing: an e-mail is on its way if the account exists."""
    notice = forgot_password.page_answer(Outcome.QUEUED)
    return await answer_page(request, session, tenant, app, title="Forgot password", notice=notice)


@router.get("/forgot-password/limit", response_class=HTMLResponse)
async def forgot_limit(
    request: Request, session: DbSession, tenant: CurrentTenant, app: str = ""
) -> Response:
    """The user's e-mails for the day are used up (the reference names the limit)."""
    notice = forgot_password.page_answer(Outcome.LIMIT_REACHED)
    return await answer_page(request, session, tenant, app, title="Forgot password", notice=notice)


async def answer_page(
    request: Request,
    session: AsyncSession,
    tenant: Tenant,
    app: str,
    *,
    title: str,
    notice: str,
) -> Response:
    """The page a form's answer is shown on after its redirect (so a reload sends nothing
    again), with the way back to the logon page of the application ``app`` names."""
    application = await application_from(session, tenant, app)
    context = {
        "tenant": tenant,
        "title": title,
        "notice": notice,
        **await page_extras(session, tenant, application),
    }
    return render(request, "account/notice.html", context)


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_page(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    token: str = "",
) -> Response:
    try:
        await forgot_password.user_for_reset_token(session, tenant=tenant, token=token)
    except TokenError as exc:
        return await _password_link_problem(request, session, runtime, tenant, token, exc)
    context = {
        "tenant": tenant,
        "token": token,
        "action": "/reset-password",
        "title": "Set a new password",
    }
    return render(request, "account/set_password.html", context)


@router.post("/reset-password", response_class=HTMLResponse)
async def reset(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    token = field(form, "token")
    context = {
        "tenant": tenant,
        "token": token,
        "action": "/reset-password",
        "title": "Set a new password",
    }
    try:
        password = _confirmed_password(form)
        used = await forgot_password.reset_password(
            session, tenant=tenant, token=token, new_password=password
        )
    except TokenError as exc:
        return await _password_link_problem(request, session, runtime, tenant, token, exc)
    except ValidationError as exc:
        return render(
            request,
            "account/set_password.html",
            {**context, "error": exc.message, "error_field": exc.field},
            status_code=400,
        )
    alerted = await security_alerts.password_changed(
        session, tenant=tenant, user=used.user, origin=request_origin(request, runtime)
    )
    location = await _logon_after_link(session, tenant, used)
    await session.commit()
    if alerted:
        runtime.wake_worker()
    return RedirectResponse(location, status_code=303)


async def _logon_after_link(
    session: AsyncSession, tenant: Tenant, used: UsedLink, *, flash: str = "password-set"
) -> str:
    """The logon page of the application the link's process started from (if it still
    exists), so the user signs in to it and goes on there; else the tenant's own."""
    application = await applications.remembered_application(session, tenant.id, used.application_id)
    query = app_query(application)  # "?app=<id>", or "" for User Profile's own page
    return f"/{query}{'&' if query else '?'}msg={flash}"


@router.get("/activate", response_class=HTMLResponse)
async def activate_page(
    request: Request, session: DbSession, tenant: CurrentTenant, token: str = ""
) -> Response:
    try:
        await activation.user_for_activation_token(session, tenant=tenant, token=token)
    except TokenError as exc:
        return await _link_problem(
            request, session, tenant, exc, token=token, purpose=ACTIVATE_ACCOUNT
        )
    context = {
        "tenant": tenant,
        "token": token,
        "action": "/activate",
        "title": "Activate your account",
    }
    return render(request, "account/set_password.html", context)


@router.post("/activate", response_class=HTMLResponse)
async def activate(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    token = field(form, "token")
    context = {
        "tenant": tenant,
        "token": token,
        "action": "/activate",
        "title": "Activate your account",
    }
    try:
        used = await activation.activate(
            session, tenant=tenant, token=token, password=_confirmed_password(form)
        )
    except TokenError as exc:
        return await _link_problem(
            request, session, tenant, exc, token=token, purpose=ACTIVATE_ACCOUNT
        )
    except ValidationError as exc:
        return render(
            request,
            "account/set_password.html",
            {**context, "error": exc.message, "error_field": exc.field},
            status_code=400,
        )
    user = used.user
    if not await authorizations_of(session, tenant.id, user.id):
        location = await _logon_after_link(session, tenant, used, flash="account-activated")
        await session.commit()
        return RedirectResponse(location, status_code=303)
    # An administrator's activation lands in the console, signed in.
    return await signed_in(
        request,
        session,
        runtime,
        tenant_id=tenant.id,
        user_id=user.id,
        kind="admin",
        location="/admin?msg=activated",
    )


SAME_PASSWORD = "The new password is your current one: choose another."
LINK_NOT_VALID = "Link not valid"


def _confirmed_password(form: FormData) -> str:
    password = field(form, "password")
    if password != field(form, "password_confirm"):
        raise ValidationError("password_confirm", PASSWORDS_DIFFER)
    return password


async def _link_problem(
    request: Request,
    session: AsyncSession,
    tenant: Tenant,
    exc: TokenError,
    *,
    token: str,
    purpose: str,
) -> Response:
    """Why the link does not work, with a new link and the way back to the logon page of the
    application its process started from (while it exists), as the link would have led."""
    context = {
        "tenant": tenant,
        "title": LINK_NOT_VALID,
        "error": exc.reason,
        "offer_new_link": True,
        "app_query": await _link_app_query(session, tenant, token=token, purpose=purpose),
    }
    return render(request, "account/notice.html", context, status_code=400)


async def _link_app_query(
    session: AsyncSession, tenant: Tenant, *, token: str, purpose: str
) -> str:
    """``?app=<id>`` of the application a link remembers, "" for none (or an unknown link)."""
    record = await find_token(session, tenant_id=tenant.id, token=token, purpose=purpose)
    remembered = record.application_id if record is not None else None
    return app_query(await applications.remembered_application(session, tenant.id, remembered))


async def _password_link_problem(
    request: Request,
    session: DbSession,
    runtime: Runtime,
    tenant: Tenant,
    token: str,
    exc: TokenError,
) -> Response:
    """A used or unknown link is refused with its reason; an expired one sends a new link
    (once, within the e-mail limit) and says so, unless only HEAD asked, as mail scanners do."""
    if exc.reason != TOKEN_EXPIRED or is_head(request):
        return await _link_problem(
            request, session, tenant, exc, token=token, purpose=RESET_PASSWORD
        )
    try:
        sentence, outcome = await renew_expired_link(
            session,
            tenant=tenant,
            token=token,
            origin=request_origin(request, runtime),
            language=preferred_language(request),
        )
    except TokenError as renewal_problem:
        await session.rollback()
        await session.refresh(tenant)
        return await _link_problem(
            request, session, tenant, renewal_problem, token=token, purpose=RESET_PASSWORD
        )
    await session.commit()
    back = await _link_app_query(session, tenant, token=token, purpose=RESET_PASSWORD)
    if outcome is Outcome.QUEUED:
        runtime.wake_worker()
        context = {
            "tenant": tenant,
            "notice": sentence,
            "title": "New link sent",
            "app_query": back,
        }
        return render(request, "account/notice.html", context)
    context = {"tenant": tenant, "title": LINK_NOT_VALID, "error": sentence, "app_query": back}
    return render(request, "account/notice.html", context, status_code=400)


@router.get("/profile", response_class=HTMLResponse)
async def profile_page(request: Request, session: DbSession, tenant: CurrentTenant) -> Response:
    user = await signed_in_user(request, session, tenant)
    if user is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "account/profile.html", profile_context(tenant, user))


async def confirm_current_password(
    request: Request,
    session: AsyncSession,
    runtime: Runtime,
    tenant: Tenant,
    user: User,
    password: str,
    *,
    field_name: str,
) -> None:
    """ValidationError unless ``password`` is the signed-in user's. A wrong one counts as a
    failed logon (committed now: the refused form changes nothing else), so the fifth locks
    the password, and a locked one is refused whatever is typed; an empty one is asked for,
    not counted (a form sent too soon is no guess)."""
    if not password:
        raise ValidationError(field_name, CURRENT_PASSWORD_NEEDED)
    checked = await check_password(
        session,
        tenant=tenant,
        user=user,
        password=password,
        origin=request_origin(request, runtime),
    )
    if checked.user is not None:
        return
    await session.commit()
    if checked.mail_queued:
        runtime.wake_worker()
    raise ValidationError(field_name, WRONG_CURRENT_PASSWORD)


def profile_context(tenant: object, user: User, **extra: object) -> dict[str, object]:
    """The profile page's context; a refused form's ``extra`` names its error and card."""
    return {"tenant": tenant, "user": user, "languages": LANGUAGE_NAMES, **extra}


@router.get("/profile/name")
@router.get("/profile/language")
@router.get("/profile/password")
@router.get("/profile/email")
async def profile_form_address() -> Response:
    """A profile form's address opened again (after a refused change): the profile page."""
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/language", response_class=HTMLResponse)
async def change_language(
    request: Request, session: DbSession, tenant: CurrentTenant, form: CheckedForm
) -> Response:
    user = await signed_in_user(request, session, tenant)
    if user is None:
        return RedirectResponse("/", status_code=303)
    language = field(form, "language")
    if language not in LANGUAGES:
        context = profile_context(
            tenant,
            user,
            error="Choose a language from the list.",
            error_field="language",
            error_form="language",
        )
        return render(request, "account/profile.html", context, status_code=400)
    if language != user.language:
        user.language = language
        await record_own_change(session, user, language=language)
    await session.commit()
    return RedirectResponse("/profile?msg=profile-saved", status_code=303)


@router.post("/profile/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
    form: CheckedForm,
) -> Response:
    record = await user_session(request, session, tenant)
    user = await get_user(session, tenant.id, record.user_id) if record else None
    if record is None or user is None:
        return RedirectResponse("/", status_code=303)
    try:
        current = field(form, "current_password")
        await confirm_current_password(
            request, session, runtime, tenant, user, current, field_name="current_password"
        )
        new_password = _confirmed_password(form)
        if new_password == current:  # nothing would change, yet sessions end and alerts go out
            raise ValidationError("password", SAME_PASSWORD)
        await set_own_password(session, user, new_password, PASSWORD_CHANGED_ON_PROFILE)
    except ValidationError as exc:
        context = profile_context(
            tenant, user, error=exc.message, error_field=exc.field, error_form="password"
        )
        return render(request, "account/profile.html", context, status_code=400)
    # Every session signed in with the old password ends, this page's too: it stays signed
    # in with a new one, so a stolen cookie (a reason to change a password) stops working.
    # (A console session ends too, even in this browser: its cookie is sent only to /admin,
    # so this request cannot tell it from another browser's.)
    await end_sessions(session, tenant_id=tenant.id, user_id=user.id)
    alerted = await security_alerts.password_changed(
        session, tenant=tenant, user=user, origin=request_origin(request, runtime)
    )
    response = await signed_in(
        request,
        session,
        runtime,
        tenant_id=tenant.id,
        user_id=user.id,
        kind="user",
        location="/profile?msg=password-changed",
        # The same browser, signed in the same way: a code it passed still counts.
        email_code_passed=record.email_code_passed,
    )
    if alerted:
        runtime.wake_worker()
    return response


@router.post("/logout")
async def logout(
    request: Request, session: DbSession, tenant: CurrentTenant, form: CheckedForm
) -> Response:
    token = request.cookies.get(USER_COOKIE)
    if token:
        await revoke_session(session, token=token, tenant_id=tenant.id)
        await session.commit()
    response = RedirectResponse("/?msg=signed-out", status_code=303)
    response.delete_cookie(USER_COOKIE, path="/")
    rotate_csrf_cookie(request, response)
    return response


__all__ = ["ADMIN_COOKIE", "Authorization", "router"]
