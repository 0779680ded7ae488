"""Applications: list, find, create, change, delete; every change in the change log.

The built-in *User Profile* (the tenant's own logon and profile pages) always exists: until it
is changed it is an unsaved default object, so tenants created by any path have it."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.applications.models import Application
from gatehouse.db.base import new_id, utcnow
from gatehouse.db.name_keys import name_key
from gatehouse.db.unique import unique_or
from gatehouse.errors import ConflictError, NotFoundError, ValidationError
from gatehouse.mail.templates.models import TemplateSet
from gatehouse.plain_text import reject_hidden
from gatehouse.tenants import quotas
from gatehouse.tenants.models import Tenant

USER_PROFILE_ID = "user-profile"
USER_PROFILE_NAME = "User Profile"
DEFAULT_SET_ID = "default"
RESOURCE = "applications"
NO_SUCH_APPLICATION = "There is no application with this ID."
BUILTIN_FIXED = "The User Profile application is built in: its name and home URL cannot change."
BUILTIN_KEPT = "The User Profile application is built in and cannot be deleted."
NAME_RULE = "The name must have 1 to 100 characters."
NAME_TAKEN = "An application with this name already exists."
HOME_URL_RULE = (
    "The home URL must be an http:// or https:// address of at most 2000 characters, with a "
    "valid host name and no spaces."
)


def _user_profile(tenant_id: str) -> Application:
    now = utcnow()
    return Application(
        tenant_id=tenant_id,
        id=USER_PROFILE_ID,
        name=USER_PROFILE_NAME,
        home_url="",
        template_set_id=DEFAULT_SET_ID,
        email_otp=False,
        created_at=now,
        updated_at=now,
    )


async def asking_for_email_codes(session: AsyncSession, tenant_id: str) -> Application | None:
    """The first (by name) of the tenant's applications asking for an e-mail code after the
    password, if any (the built-in one has a row once changed, so a switched-on User Profile
    is counted too)."""
    return await session.scalar(
        select(Application)
        .where(Application.tenant_id == tenant_id, Application.email_otp.is_(True))
        .order_by(Application.name_key, Application.id)  # the same first on every database
        .limit(1)
    )


def is_builtin(application: Application) -> bool:
    return application.id == USER_PROFILE_ID


def sp_name(application: Application | None, tenant: Tenant) -> str:
    """``user.sp_name``: the application's name; for User Profile, the tenant's display name."""
    if application is None or is_builtin(application):
        return tenant.display_name
    return application.name


def home_link(application: Application | None, origin: str) -> str:
    """Where the user goes after signing in: the application's home URL, else the profile."""
    if application is not None and application.home_url:
        return application.home_url
    return f"{origin}/profile"


async def list_applications(session: AsyncSession, tenant_id: str) -> list[Application]:
    rows = list(
        (
            await session.scalars(
                select(Application)
                .where(Application.tenant_id == tenant_id)
                .order_by(Application.created_at, Application.name)
            )
        ).all()
    )
    builtin = [a for a in rows if is_builtin(a)] or [_user_profile(tenant_id)]
    return builtin + [a for a in rows if not is_builtin(a)]


async def get_application(
    session: AsyncSession, tenant_id: str, application_id: str
) -> Application | None:
    row = await session.get(Application, (tenant_id, application_id))
    if row is None and application_id == USER_PROFILE_ID:
        return _user_profile(tenant_id)
    return row


async def remembered_application(
    session: AsyncSession, tenant_id: str, application_id: str | None
) -> Application | None:
    """The application a process started from, as a link remembers it: None without one, or
    once it was deleted."""
    if application_id is None:
        return None
    return await get_application(session, tenant_id, application_id)


async def require_application(
    session: AsyncSession, tenant_id: str, application_id: str
) -> Application:
    application = await get_application(session, tenant_id, application_id)
    if application is None:
        raise NotFoundError(NO_SUCH_APPLICATION)
    return application


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not 1 <= len(name) <= 100:
        raise ValidationError("name", NAME_RULE)
    reject_hidden(name, field="name")  # it names the application in its e-mails' subjects
    return name


def _home_url(value: str) -> str:
    """``value`` as a browser can follow it: users are sent there after signing in."""
    url = value.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # an unclosed or misplaced [ ] around an IPv6 address
        raise ValidationError("home_url", HOME_URL_RULE) from None
    if (
        len(url) > 2000
        or parts.scheme not in ("http", "https")
        or _UNSAFE_IN_URL.search(url)
        or "@" in parts.netloc  # "https://trusted.example@elsewhere.example" misleads
        or not _valid_host(host, bracketed="[" in parts.netloc)
        or not _valid_port(parts)
    ):
        raise ValidationError("home_url", HOME_URL_RULE)
    return url


# White space, control characters, and what no address holds unencoded.
_UNSAFE_IN_URL = re.compile(r'[\s\x00-\x1f\x7f<>"{}|\\^`]')
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def _valid_host(host: str, *, bracketed: bool) -> bool:
    """A DNS name (international names in their ASCII form) or an IP address; in brackets,
    only an IPv6 address."""
    try:
        return ipaddress.ip_address(host).version == 6 or not bracketed
    except ValueError:
        if bracketed:
            return False
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return bool(host) and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _valid_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 - reading it checks it (a ValueError when not 0 to 65535)
    except ValueError:
        return False
    return True


# The indexes' names (and SQLite's columns for them), for a write that lost a race.
_UNIQUE_NAME = (
    "uq_applications_tenant_name_key",
    "uq_applications_tenant_name",
    "applications.name_key",
    "applications.name",
)


async def _check_name_free(
    session: AsyncSession, tenant_id: str, name: str, *, except_id: str | None = None
) -> None:
    taken = await session.scalar(  # upper or lower case alike, as systems and sets
        select(Application.id).where(
            Application.tenant_id == tenant_id,
            Application.name_key == name_key(name),  # as the index compares
        )
    )
    if (taken is not None and taken != except_id) or (
        name_key(name) == name_key(USER_PROFILE_NAME) and except_id != USER_PROFILE_ID
    ):
        raise ValidationError("name", NAME_TAKEN)


async def create_application(
    session: AsyncSession, *, tenant_id: str, name: str, home_url: str, actor: str
) -> Application:
    name, url = _name(name), _home_url(home_url)
    await _check_name_free(session, tenant_id, name)
    await quotas.check_room(
        session,
        tenant_id=tenant_id,
        key=Application.id,
        where=(Application.tenant_id == tenant_id) & (Application.id != USER_PROFILE_ID),
        limit=quotas.MAX_APPLICATIONS,
        things="applications",
    )
    application = Application(
        tenant_id=tenant_id,
        id=new_id(),
        name=name,
        home_url=url,
        template_set_id=DEFAULT_SET_ID,
        email_otp=False,
    )
    async with unique_or(session, ValidationError("name", NAME_TAKEN), marks=_UNIQUE_NAME):
        session.add(application)
    await _log(session, application, actor, "create", name=name, home_url=url)
    return application


async def update_application(
    session: AsyncSession,
    *,
    tenant_id: str,
    application_id: str,
    actor: str,
    name: str | None = None,
    home_url: str | None = None,
    template_set_id: str | None = None,
    email_otp: bool | None = None,
) -> Application:
    """Change what is given; a template set that is not this tenant's is refused."""
    application = await require_application(session, tenant_id, application_id)
    changes: dict[str, Any] = {}
    if is_builtin(application) and (
        (name is not None and _name(name) != application.name)
        or (home_url not in (None, "", application.home_url))
    ):
        raise ConflictError(BUILTIN_FIXED)
    if name is not None and not is_builtin(application) and _name(name) != application.name:
        await _check_name_free(session, tenant_id, _name(name), except_id=application.id)
        changes["name"] = _name(name)
    if home_url is not None and not is_builtin(application):
        url = _home_url(home_url)
        if url != application.home_url:
            changes["home_url"] = url
    set_name = None
    if template_set_id is not None and template_set_id != application.template_set_id:
        set_name = await _set_name(session, tenant_id, template_set_id)
        if set_name is None:
            raise ValidationError("template_set_id", "There is no template set with this ID.")
        changes["template_set_id"] = template_set_id
    if email_otp is not None and email_otp != application.email_otp:
        changes["email_otp"] = email_otp
    if not changes:
        return application
    async with unique_or(session, ValidationError("name", NAME_TAKEN), marks=_UNIQUE_NAME):
        for key, value in changes.items():
            setattr(application, key, value)
        application.updated_at = utcnow()
        session.add(application)  # the built-in one gets its row now
    if set_name is not None:
        changes["template_set"] = set_name
    await _log(session, application, actor, "update", **changes)
    return application


async def _set_name(session: AsyncSession, tenant_id: str, set_id: str) -> str | None:
    """The name of this tenant's template set ``set_id``; None when it has none."""
    if set_id == DEFAULT_SET_ID:
        return "Default"
    return await session.scalar(
        select(TemplateSet.name).where(TemplateSet.tenant_id == tenant_id, TemplateSet.id == set_id)
    )


async def delete_application(
    session: AsyncSession, *, tenant_id: str, application_id: str, actor: str
) -> None:
    application = await require_application(session, tenant_id, application_id)
    if is_builtin(application):
        raise ConflictError(BUILTIN_KEPT)
    await session.delete(application)
    await _log(session, application, actor, "delete", name=application.name)
    await session.flush()


async def applications_using(session: AsyncSession, tenant_id: str, set_id: str) -> list[str]:
    """Names of the applications whose e-mails use the template set ``set_id``."""
    return (await applications_by_set(session, tenant_id)).get(set_id, [])


async def applications_by_set(session: AsyncSession, tenant_id: str) -> dict[str, list[str]]:
    """Each template set's applications' names, from one read of the applications: a list of
    sets asking for each set's apart read them all once per set."""
    names: dict[str, list[str]] = {}
    for application in await list_applications(session, tenant_id):
        names.setdefault(application.template_set_id, []).append(application.name)
    return names


async def _log(
    session: AsyncSession, application: Application, actor: str, action: str, **changes: Any
) -> None:
    await audit.record(
        session,
        tenant_id=application.tenant_id,
        actor=actor,
        resource=RESOURCE,
        action=action,
        changes={"application": application.id, **changes},
    )
