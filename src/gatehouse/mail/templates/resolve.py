"""Which template an e-mail is rendered from, decided at send time.

The set is the one chosen for the message (the test of one template), else the set of the
application the process started from, else User Profile's. Fallback, as the reference says:
that set in the e-mail's language, that set in English, Default in the language, Default in
English. A deleted set or application falls back the same way, so no e-mail is lost."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.service import DEFAULT_SET_ID, USER_PROFILE_ID, get_application
from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.render import find_template
from gatehouse.mail.templates.sets import get_template
from gatehouse.mail.templates.types import DEFAULT_LANGUAGE, TEMPLATE_TYPES


@dataclass(frozen=True)
class Resolved:
    template: TemplateText
    set_id: str  # the set the template came from
    language: str  # the language it is written in


async def set_of_application(
    session: AsyncSession, tenant_id: str, application_id: str | None
) -> str:
    application = await get_application(session, tenant_id, application_id or USER_PROFILE_ID)
    if application is None:  # deleted since the e-mail was queued: User Profile's set
        application = await get_application(session, tenant_id, USER_PROFILE_ID)
    return application.template_set_id if application is not None else DEFAULT_SET_ID


async def resolve_template(
    session: AsyncSession,
    *,
    tenant_id: str,
    process: str,
    language: str,
    application_id: str | None = None,
    template_set_id: str | None = None,
) -> Resolved:
    """The template of ``process`` in the best language available, with where it came from."""
    if process not in TEMPLATE_TYPES:  # the platform's own e-mails (the test e-mail)
        return Resolved(find_template(process, language), DEFAULT_SET_ID, language)
    set_id = template_set_id or await set_of_application(session, tenant_id, application_id)
    candidates = [(DEFAULT_SET_ID, language), (DEFAULT_SET_ID, DEFAULT_LANGUAGE)]
    if set_id != DEFAULT_SET_ID:
        candidates = [(set_id, language), (set_id, DEFAULT_LANGUAGE), *candidates]
    seen: set[tuple[str, str]] = set()
    for candidate_set, candidate_language in candidates:
        if (candidate_set, candidate_language) in seen:
            continue
        seen.add((candidate_set, candidate_language))
        template = await get_template(
            session,
            tenant_id=tenant_id,
            set_id=candidate_set,
            slug=process,
            language=candidate_language,
        )
        if template is not None:
            return Resolved(template, candidate_set, candidate_language)
    raise PermanentDeliveryError("render", f"There is no template for the process {process}.")
