"""Template sets of a tenant: the read-only Default set and custom sets (created as a copy of
Default, renamed, deleted unless an application uses them), and their templates per type and
language. A template is stored only after ``sandbox.check_template`` accepted it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.applications.service import (
    DEFAULT_SET_ID,
    applications_by_set,
    applications_using,
)
from gatehouse.db.base import utcnow
from gatehouse.db.name_keys import name_key
from gatehouse.db.row_lock import lock_rows
from gatehouse.db.unique import unique_or
from gatehouse.errors import ConflictError, NotFoundError, ValidationError
from gatehouse.mail.templates.defaults import DEFAULT_SET, TemplateText
from gatehouse.mail.templates.models import EmailTemplate, TemplateSet
from gatehouse.mail.templates.sandbox import check_template
from gatehouse.mail.templates.threads import off_loop
from gatehouse.mail.templates.types import TEMPLATE_LANGUAGES, TEMPLATE_TYPES, TemplateType
from gatehouse.plain_text import reject_hidden
from gatehouse.tenants import quotas

DEFAULT_SET_NAME = "Default"
RESOURCE = "email-template-sets"
NO_SUCH_SET = "There is no template set with this ID."
NO_SUCH_TYPE = "There is no template type {slug!r}; the types are: {types}."
NO_SUCH_LANGUAGE = "There is no language {code!r}; the languages are: {codes}."
DEFAULT_READ_ONLY = "The Default set is built in and cannot be changed; create a copy of it."
SET_IN_USE = "The set is used by {names}. Assign another set to {them} first."
NAME_RULE = "The name must have 1 to 64 characters."
NAME_TAKEN = "A template set with this name already exists."
# The indexes' names (and SQLite's columns for them), for a write that lost a race.
_UNIQUE_NAME = (
    "uq_template_sets_tenant_name_key",
    "uq_template_sets_tenant_name",
    "template_sets.name_key",
    "template_sets.name",
)


@dataclass(frozen=True)
class SetInfo:
    id: str
    name: str
    builtin: bool
    created_at: datetime | None
    used_by: tuple[str, ...]


def template_type_of(slug: str) -> TemplateType:
    kind = TEMPLATE_TYPES.get(slug)
    if kind is None:
        raise NotFoundError(NO_SUCH_TYPE.format(slug=slug, types=", ".join(TEMPLATE_TYPES)))
    return kind


def check_language(code: str) -> str:
    if code not in TEMPLATE_LANGUAGES:
        codes = ", ".join(TEMPLATE_LANGUAGES)
        raise NotFoundError(NO_SUCH_LANGUAGE.format(code=code, codes=codes))
    return code


async def list_sets(session: AsyncSession, tenant_id: str) -> list[SetInfo]:
    rows = await session.scalars(
        select(TemplateSet).where(TemplateSet.tenant_id == tenant_id).order_by(TemplateSet.name)
    )
    using = await applications_by_set(session, tenant_id)
    default = SetInfo(
        DEFAULT_SET_ID, DEFAULT_SET_NAME, True, None, tuple(using.get(DEFAULT_SET_ID, ()))
    )
    return [default] + [
        SetInfo(row.id, row.name, False, row.created_at, tuple(using.get(row.id, ())))
        for row in rows.all()
    ]


async def _info_default(session: AsyncSession, tenant_id: str) -> SetInfo:
    used_by = tuple(await applications_using(session, tenant_id, DEFAULT_SET_ID))
    return SetInfo(DEFAULT_SET_ID, DEFAULT_SET_NAME, True, None, used_by)


async def get_set(session: AsyncSession, tenant_id: str, set_id: str) -> SetInfo:
    """The set of this tenant with ``set_id`` (NotFoundError otherwise)."""
    if set_id == DEFAULT_SET_ID:
        return await _info_default(session, tenant_id)
    row = await _row(session, tenant_id, set_id)
    used_by = tuple(await applications_using(session, tenant_id, row.id))
    return SetInfo(row.id, row.name, False, row.created_at, used_by)


async def _row(session: AsyncSession, tenant_id: str, set_id: str) -> TemplateSet:
    row = await session.scalar(
        select(TemplateSet).where(TemplateSet.tenant_id == tenant_id, TemplateSet.id == set_id)
    )
    if row is None:
        raise NotFoundError(NO_SUCH_SET)
    return row


async def _custom_row(session: AsyncSession, tenant_id: str, set_id: str) -> TemplateSet:
    if set_id == DEFAULT_SET_ID:
        raise ConflictError(DEFAULT_READ_ONLY)
    return await _row(session, tenant_id, set_id)


async def _valid_name(
    session: AsyncSession, tenant_id: str, value: str, *, except_id: str | None = None
) -> str:
    name = " ".join(value.split())
    if not 1 <= len(name) <= 64:
        raise ValidationError("name", NAME_RULE)
    reject_hidden(name, field="name")
    taken = await session.scalar(
        select(TemplateSet.id).where(
            TemplateSet.tenant_id == tenant_id,
            TemplateSet.name_key == name_key(name),  # as the index compares
        )
    )
    if (taken is not None and taken != except_id) or name_key(name) == name_key(DEFAULT_SET_NAME):
        raise ValidationError("name", NAME_TAKEN)
    return name


async def create_set(session: AsyncSession, *, tenant_id: str, name: str, actor: str) -> SetInfo:
    """A new set holding a copy of every Default template (all types, all languages)."""
    row = TemplateSet(tenant_id=tenant_id, name=await _valid_name(session, tenant_id, name))
    await quotas.check_room(
        session,
        tenant_id=tenant_id,
        key=TemplateSet.id,
        where=TemplateSet.tenant_id == tenant_id,
        limit=quotas.MAX_TEMPLATE_SETS,
        things="template sets",
    )
    async with unique_or(session, ValidationError("name", NAME_TAKEN), marks=_UNIQUE_NAME):
        session.add(row)
    session.add_all(
        EmailTemplate(
            set_id=row.id,
            tenant_id=tenant_id,
            type=slug,
            language=language,
            subject=template.subject,
            text=template.text,
            html=template.html,
            updated_by=actor,
        )
        for (slug, language), template in DEFAULT_SET.items()
        if slug in TEMPLATE_TYPES
    )
    await session.flush()
    await _log(session, tenant_id, actor, "create", set=row.id, name=row.name)
    return SetInfo(row.id, row.name, False, row.created_at, ())


async def rename_set(
    session: AsyncSession, *, tenant_id: str, set_id: str, name: str, actor: str
) -> SetInfo:
    row = await _custom_row(session, tenant_id, set_id)
    new_name = await _valid_name(session, tenant_id, name, except_id=row.id)
    if new_name != row.name:
        async with unique_or(session, ValidationError("name", NAME_TAKEN), marks=_UNIQUE_NAME):
            row.name, row.updated_at = new_name, utcnow()
        await _log(session, tenant_id, actor, "update", set=row.id, name=new_name)
    return await get_set(session, tenant_id, row.id)


async def delete_set(session: AsyncSession, *, tenant_id: str, set_id: str, actor: str) -> None:
    row = await _custom_row(session, tenant_id, set_id)
    users = await applications_using(session, tenant_id, row.id)
    if users:
        them = "it" if len(users) == 1 else "them"
        raise ConflictError(SET_IN_USE.format(names=", ".join(users), them=them))
    await session.delete(row)
    await session.flush()
    await _log(session, tenant_id, actor, "delete", set=row.id, name=row.name)


async def stored_templates(
    session: AsyncSession, tenant_id: str, set_id: str
) -> set[tuple[str, str]]:
    """(type, language) pairs the set holds itself."""
    if set_id == DEFAULT_SET_ID:
        return {key for key in DEFAULT_SET if key[0] in TEMPLATE_TYPES}
    rows = await session.execute(
        select(EmailTemplate.type, EmailTemplate.language).where(
            EmailTemplate.tenant_id == tenant_id, EmailTemplate.set_id == set_id
        )
    )
    return {(t, lang) for t, lang in rows.all()}


async def get_template(
    session: AsyncSession, *, tenant_id: str, set_id: str, slug: str, language: str
) -> TemplateText | None:
    """The set's own template for this type and language (no fallback), or None."""
    if set_id == DEFAULT_SET_ID:
        return DEFAULT_SET.get((slug, language))
    row = await session.scalar(
        select(EmailTemplate).where(
            EmailTemplate.tenant_id == tenant_id,
            EmailTemplate.set_id == set_id,
            EmailTemplate.type == slug,
            EmailTemplate.language == language,
        )
    )
    return TemplateText(row.subject, row.text, row.html) if row is not None else None


async def save_template(
    session: AsyncSession,
    *,
    tenant_id: str,
    set_id: str,
    slug: str,
    language: str,
    template: TemplateText,
    actor: str,
) -> TemplateText:
    """Check (TemplateRejected with line and column; nothing stored) and store."""
    kind = template_type_of(slug)
    check_language(language)
    row = await _custom_row(session, tenant_id, set_id)
    # In a thread: checking a dense template of 100,000 characters takes most of a second.
    await off_loop(
        check_template, kind, subject=template.subject, text=template.text, html=template.html
    )
    # Two saves of a template the set lacks would both insert it (a double-clicked Save):
    # the second waits here, then finds the first's row and updates it.
    await lock_rows(session, TemplateSet.updated_at, TemplateSet.id == row.id)
    stored = await session.get(EmailTemplate, (row.id, slug, language), populate_existing=True)
    if stored is None:
        stored = EmailTemplate(set_id=row.id, tenant_id=tenant_id, type=slug, language=language)
        session.add(stored)
    stored.subject, stored.text, stored.html = template
    stored.updated_at, stored.updated_by = utcnow(), actor
    row.updated_at = utcnow()
    await session.flush()
    await _log(
        session,
        tenant_id,
        actor,
        "update",
        set=row.id,
        template=f"{slug}/{language}",
        subject=template.subject,
        text=f"{len(template.text)} characters",
        html=f"{len(template.html)} characters",
    )
    return template


async def delete_template(
    session: AsyncSession, *, tenant_id: str, set_id: str, slug: str, language: str, actor: str
) -> bool:
    """Remove the set's own template (its e-mails fall back); False when it had none."""
    template_type_of(slug)
    check_language(language)
    row = await _custom_row(session, tenant_id, set_id)
    result = await session.execute(
        delete(EmailTemplate).where(
            EmailTemplate.set_id == row.id,
            EmailTemplate.type == slug,
            EmailTemplate.language == language,
        )
    )
    removed = bool(result.rowcount)  # type: ignore[attr-defined]
    if removed:
        await _log(session, tenant_id, actor, "delete", set=row.id, template=f"{slug}/{language}")
    return removed


async def _log(
    session: AsyncSession, tenant_id: str, actor: str, action: str, **changes: str
) -> None:
    await audit.record(
        session, tenant_id=tenant_id, actor=actor, resource=RESOURCE, action=action, changes=changes
    )
