"""``/admin/api/v1/template-sets``: list and create sets (a copy of Default), rename, delete
(409 while an application uses the set), and each template per type and language: read, write
(checked first: 422 with field, line and column, nothing stored), delete, and send a test.
Manage Tenant Configuration; every query is scoped to the caller's tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import NotFoundError
from gatehouse.mail.templates import sets
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.samples import queue_sample_email
from gatehouse.mail.templates.sandbox import MAX_BODY_CHARS, MAX_SUBJECT_CHARS, TemplateRejected
from gatehouse.web.api.auth import ApiCaller, require_client
from gatehouse.web.tenancy import CurrentRuntime, DbSession, request_origin

router = APIRouter(prefix="/template-sets", tags=["template-sets"])
Caller = Annotated[ApiCaller, require_client(Authorization.MANAGE_TENANT_CONFIGURATION)]
TEMPLATE_PATH = "/{set_id}/templates/{template_type}/{language}"
NOT_IN_SET = "The set has no {type} template in {language}; its e-mails fall back."


class SetName(BaseModel):
    """The name's length is the service's rule, so an empty or long name gets its message, on
    POST and PATCH alike."""

    model_config = ConfigDict(extra="forbid")
    name: str


class TemplateKey(BaseModel):
    type: str
    language: str


class SetView(BaseModel):
    id: str
    name: str
    builtin: bool
    created_at: datetime | None
    used_by: list[str] = Field(description="Names of the applications whose e-mails use it")


class SetDetail(SetView):
    templates: list[TemplateKey] = Field(description="The templates the set holds itself")


class SetList(BaseModel):
    template_sets: list[SetView]


class TemplateInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(max_length=MAX_SUBJECT_CHARS * 4)
    text: str = Field(max_length=MAX_BODY_CHARS * 4)
    html: str = Field(max_length=MAX_BODY_CHARS * 4)


class TemplateView(BaseModel):
    set_id: str
    type: str
    language: str
    subject: str
    text: str
    html: str


class TestInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=254)


class TestAnswer(BaseModel):
    message_id: str
    recipient: str
    status: str


def _view(info: sets.SetInfo) -> SetView:
    return SetView(
        id=info.id,
        name=info.name,
        builtin=info.builtin,
        created_at=info.created_at,
        used_by=list(info.used_by),
    )


def rejected_answer(exc: TemplateRejected) -> JSONResponse:
    """422 naming the first problem's part, line and column, and listing all of them."""
    first = exc.problems[0]
    detail: dict[str, Any] = {**first.as_json(), "problems": [p.as_json() for p in exc.problems]}
    return JSONResponse({"detail": detail}, status_code=422)


@router.get("", response_model=SetList)
async def list_template_sets(caller: Caller, session: DbSession) -> SetList:
    """Default first, then the tenant's own sets by name."""
    return SetList(
        template_sets=[_view(s) for s in await sets.list_sets(session, caller.tenant.id)]
    )


@router.post("", response_model=SetView, status_code=201)
async def create_template_set(body: SetName, caller: Caller, session: DbSession) -> SetView:
    """A new set holding a copy of every Default template; unused until assigned."""
    info = await sets.create_set(
        session, tenant_id=caller.tenant.id, name=body.name, actor=caller.actor
    )
    await session.commit()
    return _view(info)


@router.get("/{set_id}", response_model=SetDetail)
async def get_template_set(set_id: str, caller: Caller, session: DbSession) -> SetDetail:
    info = await sets.get_set(session, caller.tenant.id, set_id)
    stored = sorted(await sets.stored_templates(session, caller.tenant.id, info.id))
    return SetDetail(
        **_view(info).model_dump(),
        templates=[TemplateKey(type=t, language=lang) for t, lang in stored],
    )


@router.patch("/{set_id}", response_model=SetView)
async def rename_template_set(
    set_id: str, body: SetName, caller: Caller, session: DbSession
) -> SetView:
    info = await sets.rename_set(
        session, tenant_id=caller.tenant.id, set_id=set_id, name=body.name, actor=caller.actor
    )
    await session.commit()
    return _view(info)


@router.delete("/{set_id}", status_code=204)
async def delete_template_set(set_id: str, caller: Caller, session: DbSession) -> Response:
    """409 while an application uses the set, and for Default."""
    await sets.delete_set(session, tenant_id=caller.tenant.id, set_id=set_id, actor=caller.actor)
    await session.commit()
    return Response(status_code=204)


@router.get(TEMPLATE_PATH, response_model=TemplateView)
async def get_email_template(
    set_id: str, template_type: str, language: str, caller: Caller, session: DbSession
) -> TemplateView:
    """The set's own template (404 when it has none: its e-mails then fall back)."""
    sets.template_type_of(template_type)
    sets.check_language(language)
    info = await sets.get_set(session, caller.tenant.id, set_id)
    template = await sets.get_template(
        session, tenant_id=caller.tenant.id, set_id=info.id, slug=template_type, language=language
    )
    if template is None:
        raise NotFoundError(NOT_IN_SET.format(type=template_type, language=language))
    return TemplateView(set_id=info.id, type=template_type, language=language, **template._asdict())


@router.put(
    TEMPLATE_PATH,
    response_model=TemplateView,
    responses={422: {"description": "Refused, with field, line and column; nothing stored"}},
)
async def put_email_template(
    set_id: str,
    template_type: str,
    language: str,
    body: TemplateInput,
    caller: Caller,
    session: DbSession,
) -> TemplateView | JSONResponse:
    """Check the template (placeholders of the type, syntax, mandatory placeholders) and store
    it. ``${user.firstName}`` and ``{{ user.firstName }}`` both work."""
    template = TemplateText(body.subject.strip(), body.text, body.html)
    try:
        await sets.save_template(
            session,
            tenant_id=caller.tenant.id,
            set_id=set_id,
            slug=template_type,
            language=language,
            template=template,
            actor=caller.actor,
        )
    except TemplateRejected as exc:
        return rejected_answer(exc)
    await session.commit()
    return TemplateView(set_id=set_id, type=template_type, language=language, **template._asdict())


@router.delete(TEMPLATE_PATH, status_code=204)
async def delete_email_template(
    set_id: str, template_type: str, language: str, caller: Caller, session: DbSession
) -> Response:
    """Remove the set's own template; its e-mails fall back (English, then Default)."""
    removed = await sets.delete_template(
        session,
        tenant_id=caller.tenant.id,
        set_id=set_id,
        slug=template_type,
        language=language,
        actor=caller.actor,
    )
    if not removed:
        raise NotFoundError(NOT_IN_SET.format(type=template_type, language=language))
    await session.commit()
    return Response(status_code=204)


@router.post(
    TEMPLATE_PATH + "/test",
    response_model=TestAnswer,
    status_code=202,
    responses={429: {"description": "The tenant sent the test e-mails of the hour allowed"}},
)
async def test_email_template(
    set_id: str,
    template_type: str,
    language: str,
    body: TestInput,
    request: Request,
    caller: Caller,
    session: DbSession,
    runtime: CurrentRuntime,
) -> TestAnswer:
    """Queue the template (with the usual fallback) and sample values to ``to``, through the
    same outbox, configuration and mail server as every e-mail; follow it at ``messages``."""
    sets.template_type_of(template_type)
    sets.check_language(language)
    info = await sets.get_set(session, caller.tenant.id, set_id)
    message = await queue_sample_email(
        session,
        tenant=caller.tenant,
        set_id=info.id,
        slug=template_type,
        language=language,
        recipient=body.to,
        origin=request_origin(request, runtime),
        inviter_name=caller.client.name,
        limit=runtime.settings.test_emails_per_tenant_hour,
    )
    await session.commit()
    runtime.wake_worker()
    return TestAnswer(message_id=message.id, recipient=message.recipient, status=message.status)
