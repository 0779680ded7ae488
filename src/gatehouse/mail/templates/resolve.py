"""Which template an e-mail is rendered from, decided at send time.

The set is the one chosen for the message (the test of one template), else the set of the
application the process started from, else User Profile's. Fallback, as the reference says:
that set in the e-mail's language, that set in English, Default in the language, Default in
English. A deleted set or application falls back the same way, so no e-mail is lost.

The worker resolves a whole batch from what two statements read (``TemplateSources``): a query
per tenant would make a batch spread over many tenants cost as many round trips."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.applications.service import DEFAULT_SET_ID, USER_PROFILE_ID
from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.templates.defaults import DEFAULT_SET, TemplateText
from gatehouse.mail.templates.models import EmailTemplate
from gatehouse.mail.templates.render import find_template
from gatehouse.mail.templates.types import DEFAULT_LANGUAGE, TEMPLATE_TYPES


@dataclass(frozen=True)
class Resolved:
    template: TemplateText
    set_id: str  # the set the template came from
    language: str  # the language it is written in


@dataclass(frozen=True)
class Wanted:
    """One e-mail's template, as the outbox keeps what decides it."""

    tenant_id: str
    process: str
    language: str
    application_id: str | None = None
    template_set_id: str | None = None


_TEMPLATE_COLUMNS = (
    EmailTemplate.tenant_id,
    EmailTemplate.set_id,
    EmailTemplate.type,
    EmailTemplate.language,
    EmailTemplate.subject,
    EmailTemplate.text,
    EmailTemplate.html,
)


@dataclass(frozen=True)
class TemplateSources:
    """The applications' sets and the custom templates some e-mails may need, read together."""

    # (tenant, application) -> its set; a tenant's User Profile has a row only once changed
    sets: dict[tuple[str, str], str]
    # (tenant, set, process, language) -> the set's own template
    custom: dict[tuple[str, str, str, str], TemplateText]

    @classmethod
    async def read(cls, session: AsyncSession, wanted: Iterable[Wanted]) -> TemplateSources:
        """Two statements, whatever the number of tenants: the applications, then the custom
        templates of the sets they and the e-mails name."""
        wanted = [w for w in wanted if w.process in TEMPLATE_TYPES]
        if not wanted:
            return cls({}, {})
        tenants = {w.tenant_id for w in wanted}
        applications = {USER_PROFILE_ID} | {w.application_id for w in wanted if w.application_id}
        rows = await session.execute(
            select(Application.tenant_id, Application.id, Application.template_set_id).where(
                Application.tenant_id.in_(tenants), Application.id.in_(applications)
            )
        )
        sets = {(tenant, application): set_id for tenant, application, set_id in rows}
        set_keys = {(tenant, set_id) for (tenant, _), set_id in sets.items()}
        set_keys |= {(w.tenant_id, w.template_set_id) for w in wanted if w.template_set_id}
        set_keys = {key for key in set_keys if key[1] != DEFAULT_SET_ID}
        if not set_keys:
            return cls(sets, {})
        templates = await session.execute(  # the columns only: no ORM object per template
            select(*_TEMPLATE_COLUMNS).where(
                tuple_(EmailTemplate.tenant_id, EmailTemplate.set_id).in_(set_keys),
                EmailTemplate.type.in_({w.process for w in wanted}),
                EmailTemplate.language.in_({DEFAULT_LANGUAGE} | {w.language for w in wanted}),
            )
        )
        custom = {
            (tenant, set_id, slug, language): TemplateText(subject, text, html)
            for tenant, set_id, slug, language, subject, text, html in templates
        }
        return cls(sets, custom)

    def resolve(self, wanted: Wanted) -> Resolved:
        """The template of ``wanted`` in the best language available, with where it came
        from."""
        process, language = wanted.process, wanted.language
        if process not in TEMPLATE_TYPES:  # the platform's own e-mails (the test e-mail)
            return Resolved(find_template(process, language), DEFAULT_SET_ID, language)
        set_id = wanted.template_set_id or self._set_of_application(wanted)
        candidates = [(DEFAULT_SET_ID, language), (DEFAULT_SET_ID, DEFAULT_LANGUAGE)]
        if set_id != DEFAULT_SET_ID:
            candidates = [(set_id, language), (set_id, DEFAULT_LANGUAGE), *candidates]
        for candidate_set, candidate_language in candidates:
            if candidate_set == DEFAULT_SET_ID:
                template = DEFAULT_SET.get((process, candidate_language))
            else:
                key = (wanted.tenant_id, candidate_set, process, candidate_language)
                template = self.custom.get(key)
            if template is not None:
                return Resolved(template, candidate_set, candidate_language)
        raise PermanentDeliveryError("render", f"There is no template for the process {process}.")

    def _set_of_application(self, wanted: Wanted) -> str:
        """The set of the application the process started from; if it was deleted since the
        e-mail was queued, User Profile's; Default if User Profile was never changed."""
        tenant = wanted.tenant_id
        set_id = self.sets.get((tenant, wanted.application_id or USER_PROFILE_ID))
        if set_id is None:
            set_id = self.sets.get((tenant, USER_PROFILE_ID))
        return set_id or DEFAULT_SET_ID


async def resolve_template(session: AsyncSession, wanted: Wanted) -> Resolved:
    """The template of one e-mail (the console's preview of which template is used)."""
    return (await TemplateSources.read(session, [wanted])).resolve(wanted)
