"""Console > E-Mail Template Sets > set > one template (Manage Tenant Configuration): view
(Default, read-only) or edit in the page or by uploading UTF-8 files, preview with sample data,
delete from a custom set (its e-mails fall back), and send a test of it to an address."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.users import LANGUAGE_NAMES
from gatehouse.errors import (
    ConflictError,
    LimitReachedError,
    NotFoundError,
    PermanentDeliveryError,
    ValidationError,
)
from gatehouse.mail.templates import sets
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.render import render as render_email
from gatehouse.mail.templates.resolve import Wanted, resolve_template
from gatehouse.mail.templates.samples import queue_sample_email, sample_context
from gatehouse.mail.templates.sandbox import TemplateProblem, TemplateRejected, check_template
from gatehouse.mail.templates.threads import off_loop
from gatehouse.mail.templates.types import (
    PLACEHOLDER_DESCRIPTIONS,
    TEMPLATE_LANGUAGES,
    TemplateType,
)
from gatehouse.web.account.routes import field
from gatehouse.web.console.auth import Admin, require
from gatehouse.web.console.mail_server import actor_of, test_message
from gatehouse.web.console.template_sets import PAGE, crumbs, find_set
from gatehouse.web.csrf import checked_form
from gatehouse.web.pages import render
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/admin/email-template-sets/{set_id}/templates/{slug}/{language}")
TenantConfigAdmin = Annotated[Admin, require(Authorization.MANAGE_TENANT_CONFIGURATION)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
MAX_UPLOAD_BYTES = 256 * 1024
UPLOAD_TOO_LARGE = "The file {name} is larger than 256 KB."
UPLOAD_NOT_UTF8 = "The file {name} is not UTF-8 text."


def _kind_and_language(slug: str, language: str) -> TemplateType:
    try:
        kind = sets.template_type_of(slug)
        sets.check_language(language)
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return kind


async def _preview(template: TemplateText, language: str, admin: Admin, origin: str) -> Any:
    """The template rendered with sample values, or the reason it cannot be. Off the event
    loop, as the check: a dense template of 100,000 characters takes most of a second."""
    values = sample_context(
        language=language,
        sp_name=admin.tenant.display_name,
        origin=origin,
        recipient=admin.user.email,
        inviter_name=_admin_name(admin),
    )
    try:
        return await off_loop(render_email, template, values)
    except PermanentDeliveryError as exc:
        return exc.message


def _admin_name(admin: Admin) -> str:
    name = f"{admin.user.first_name} {admin.user.last_name}".strip()
    return name or admin.user.email


async def _page(
    request: Request,
    session: DbSession,
    admin: Admin,
    *,
    info: sets.SetInfo,
    kind: TemplateType,
    language: str,
    origin: str,
    status_code: int = 200,
    form: TemplateText | None = None,
    problems: list[TemplateProblem] | None = None,
    **extra: Any,
) -> Response:
    """The template page of ``info``'s ``kind`` in ``language``."""
    own = await sets.get_template(
        session, tenant_id=admin.tenant.id, set_id=info.id, slug=kind.slug, language=language
    )
    resolved = await resolve_template(
        session,
        Wanted(
            tenant_id=admin.tenant.id, process=kind.slug, language=language, template_set_id=info.id
        ),
    )
    shown = form or own or resolved.template
    # Delete Template asks first (?confirm=delete), saying what the e-mails use instead.
    confirm_delete = bool(own) and request.query_params.get("confirm") == "delete"
    title = f"{kind.label} · {LANGUAGE_NAMES[language]}"  # the heading's, the breadcrumb's
    context = {
        "admin": admin,
        "tenant": admin.tenant,
        "crumbs": crumbs((info.name, f"{PAGE}/{info.id}"), (title, None)),
        "title": title,
        "set": info,
        "kind": kind,
        "language": language,
        "language_name": LANGUAGE_NAMES[language],
        "languages": [(code, LANGUAGE_NAMES[code]) for code in TEMPLATE_LANGUAGES],
        "own": own,
        "resolved": resolved,
        "resolved_set_name": info.name if resolved.set_id == info.id else sets.DEFAULT_SET_NAME,
        "resolved_language_name": LANGUAGE_NAMES[resolved.language],
        "form": shown,
        "problems": problems or [],
        "problem_parts": {p.part for p in problems or []},
        "preview": None if problems else await _preview(shown, language, admin, origin),
        "placeholders": [
            (p, PLACEHOLDER_DESCRIPTIONS[p], p in kind.mandatory) for p in kind.ordered_placeholders
        ],
        "base": f"{PAGE}/{info.id}/templates/{kind.slug}/{language}",
        "test_message": await test_message(session, admin.tenant.id, request),
        "confirm_delete": confirm_delete,
        "fallback": await _fallback(session, admin, info, kind, language) if confirm_delete else "",
        **extra,
    }
    return render(request, "console/email_template.html", context, status_code=status_code)


async def _fallback(
    session: DbSession, admin: Admin, info: sets.SetInfo, kind: TemplateType, language: str
) -> str:
    """What the set's e-mails of ``kind`` in ``language`` fall back to without the set's own
    template: the set's English one when it has one, else the Default set's (every language)."""
    if language != "en":
        english = await sets.get_template(
            session, tenant_id=admin.tenant.id, set_id=info.id, slug=kind.slug, language="en"
        )
        if english is not None:
            return "the set's English template"
    return f"the Default set's template in {LANGUAGE_NAMES[language]}"


@router.get("", response_class=HTMLResponse)
async def template_page(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    set_id: str,
    slug: str,
    language: str,
) -> Response:
    kind = _kind_and_language(slug, language)
    return await _page(
        request,
        session,
        admin,
        info=await find_set(session, admin, set_id),
        kind=kind,
        language=language,
        origin=request_origin(request, runtime),
    )


async def _uploaded(form: FormData, name: str, typed: str) -> str:
    """The content of an uploaded file when one was chosen, else what was typed."""
    upload = form.get(f"{name}_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return typed
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(name, UPLOAD_TOO_LARGE.format(name=upload.filename))
    if not data:
        return typed
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(name, UPLOAD_NOT_UTF8.format(name=upload.filename)) from None
    if "\x00" in text:  # UTF-16 without a byte order mark decodes, with a NUL in every other place
        raise ValidationError(name, UPLOAD_NOT_UTF8.format(name=upload.filename))
    return text.replace("\r\n", "\n")


@router.post("", response_class=HTMLResponse)
async def save_or_preview(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
    set_id: str,
    slug: str,
    language: str,
) -> Response:
    kind = _kind_and_language(slug, language)
    info = await find_set(session, admin, set_id)
    origin = request_origin(request, runtime)
    typed = TemplateText(
        field(form, "subject").strip(),
        field(form, "text").replace("\r\n", "\n"),
        field(form, "html").replace("\r\n", "\n"),
    )
    try:
        template = typed._replace(
            text=await _uploaded(form, "text", typed.text),
            html=await _uploaded(form, "html", typed.html),
        )
    except ValidationError as exc:
        return await _page(
            request,
            session,
            admin,
            form=typed,
            error=exc.message,
            info=info,
            kind=kind,
            language=language,
            origin=origin,
            status_code=422,
        )
    previewing = field(form, "action") == "preview"
    try:
        if previewing:
            await off_loop(
                check_template,
                kind,
                subject=template.subject,
                text=template.text,
                html=template.html,
            )
            return await _page(
                request,
                session,
                admin,
                form=template,
                previewing=True,
                info=info,
                kind=kind,
                language=language,
                origin=origin,
            )
        await sets.save_template(
            session,
            tenant_id=admin.tenant.id,
            set_id=info.id,
            slug=kind.slug,
            language=language,
            template=template,
            actor=actor_of(admin),
        )
    except TemplateRejected as exc:
        return await _page(
            request,
            session,
            admin,
            form=template,
            problems=exc.problems,
            previewing=previewing,
            info=info,
            kind=kind,
            language=language,
            origin=origin,
            status_code=422,
        )
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    await session.commit()
    base = f"{PAGE}/{info.id}/templates/{kind.slug}/{language}"
    return RedirectResponse(f"{base}?msg=template-saved", status_code=303)


@router.post("/delete")
async def delete_template(
    session: DbSession,
    admin: TenantConfigAdmin,
    form: CheckedForm,
    set_id: str,
    slug: str,
    language: str,
) -> Response:
    kind = _kind_and_language(slug, language)
    info = await find_set(session, admin, set_id)
    try:
        removed = await sets.delete_template(
            session,
            tenant_id=admin.tenant.id,
            set_id=info.id,
            slug=kind.slug,
            language=language,
            actor=actor_of(admin),
        )
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    await session.commit()
    # Sent again from a stale page: the template was gone already, nothing was deleted now.
    message = "template-deleted" if removed else "template-already-deleted"
    return RedirectResponse(f"{PAGE}/{info.id}?msg={message}", status_code=303)


@router.post("/test", response_class=HTMLResponse)
async def send_test(
    request: Request,
    session: DbSession,
    runtime: CurrentRuntime,
    admin: TenantConfigAdmin,
    form: CheckedForm,
    set_id: str,
    slug: str,
    language: str,
) -> Response:
    kind = _kind_and_language(slug, language)
    info = await find_set(session, admin, set_id)
    origin = request_origin(request, runtime)
    try:
        message = await queue_sample_email(
            session,
            tenant=admin.tenant,
            set_id=info.id,
            slug=kind.slug,
            language=language,
            recipient=field(form, "to").strip(),  # emptied: said so, not sent anyway
            origin=origin,
            inviter_name=_admin_name(admin),
            limit=runtime.settings.test_emails_per_tenant_hour,
        )
    except (ValidationError, LimitReachedError) as exc:
        limited = isinstance(exc, LimitReachedError)
        return await _page(
            request,
            session,
            admin,
            info=info,
            kind=kind,
            language=language,
            origin=origin,
            test_error=exc.message if limited else f"To: {exc.message}",
            test_address_refused=not limited,
            status_code=429 if limited else 422,
            test_to=field(form, "to"),  # to correct, not to send again to someone else
        )
    await session.commit()
    runtime.wake_worker()
    base = f"{PAGE}/{info.id}/templates/{kind.slug}/{language}"
    return RedirectResponse(f"{base}?test={message.id}#test", status_code=303)
