"""The Amazon SES option of a tenant: its sending domains (up to 2, DNS records, Pending ->
Verified, or Failed after 72 hours) and its From / Reply to addresses on verified domains."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.db.base import utcnow
from gatehouse.db.row_lock import lock_rows
from gatehouse.errors import ConflictError, NotFoundError, ValidationError
from gatehouse.mail.config import get_config, log_saved
from gatehouse.mail.models import MailServerConfig, SesDomain
from gatehouse.mail.ses_client import SesClient
from gatehouse.settings import Settings
from gatehouse.tenants.models import Tenant

MAX_DOMAINS = 2
UNDER_PLATFORM_DOMAIN = "This is under the platform's domain, which no tenant can register."
RELATED_ELSEWHERE = (
    "The domain {domain} overlaps {other}, which another tenant registered: a domain and its "
    "subdomains belong to one tenant."
)
VERIFY_DEADLINE = timedelta(hours=72)
REGISTRATION_LOCK = 0x5E5D0A1  # the advisory lock key of domain registrations (PostgreSQL)
RELEASED = "Not verified within 72 hours; another tenant registered it."
VERIFY_IN_TIME = (
    "Publish a domain's DNS records and verify it within 72 hours of adding it: after that, "
    "another tenant may register it."
)
USERNAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,64}$")
LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
USERNAME_RULE = (
    "may contain only the letters A-Z and a-z, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~ "
    "(1 to 64 characters)"
)


@dataclass(frozen=True)
class SesInput:
    from_username: str
    from_domain: str
    reply_to_username: str | None
    reply_to_domain: str | None

    @property
    def sender_email(self) -> str:
        return f"{self.from_username}@{self.from_domain}"

    @property
    def reply_to(self) -> str | None:
        if self.reply_to_username and self.reply_to_domain:
            return f"{self.reply_to_username}@{self.reply_to_domain}"
        return None


def readable_character(character: str) -> str:
    """A refused character as a person can read it in a message: the space by name, other
    invisible ones (tab, line breaks, no-break space ...) by code point."""
    if character == " ":
        return "space"
    if character.isprintable() and not character.isspace():
        return character
    return f"U+{ord(character):04X}"


def validate_username(value: str, *, field: str) -> str:
    if not USERNAME_RE.fullmatch(value):
        bad = sorted({c for c in value if not USERNAME_RE.fullmatch(c)})
        detail = f" (not allowed: {' '.join(map(readable_character, bad))})" if bad else ""
        raise ValidationError(field, f"The user name {USERNAME_RULE}{detail}.")
    return value


def validate_domain(value: str, *, field: str = "domain") -> str:
    domain = value.strip().lower().rstrip(".")
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2:
        raise ValidationError(field, f"{value!r} is not a domain name such as example.com.")
    for label in labels:
        if not LABEL_RE.fullmatch(label):
            raise ValidationError(
                field,
                f"The label {label!r} of {value!r} is not valid: labels have letters, digits "
                "and hyphens, and do not start or end with a hyphen.",
            )
    return domain


async def list_domains(session: AsyncSession, tenant_id: str) -> list[SesDomain]:
    rows = await session.scalars(
        select(SesDomain).where(SesDomain.tenant_id == tenant_id).order_by(SesDomain.created_at)
    )
    return list(rows.all())


async def get_domain(session: AsyncSession, tenant_id: str, domain: str) -> SesDomain:
    record = await session.scalar(
        select(SesDomain).where(SesDomain.tenant_id == tenant_id, SesDomain.domain == domain)
    )
    if record is None:
        raise NotFoundError(f"The domain {domain} is not one of this tenant's domains.")
    return record


async def add_domain(
    session: AsyncSession,
    client: SesClient,
    *,
    tenant_id: str,
    domain: str,
    actor: str,
    settings: Settings,
) -> SesDomain:
    domain = validate_domain(domain)
    if domain == settings.ses_default_domain:
        raise ValidationError("domain", "This is the platform's domain; it is always available.")
    if domain.endswith(f".{settings.ses_default_domain}"):
        raise ValidationError("domain", UNDER_PLATFORM_DOMAIN)
    # From the checks to the insert, one registration at a time: requests sent together all
    # passed the checks while SES answered, and all were stored.
    await lock_registrations(session, tenant_id)
    if len(await list_domains(session, tenant_id)) >= MAX_DOMAINS:
        raise ValidationError("domain", f"A tenant can have at most {MAX_DOMAINS} domains.")
    # A domain taken (here or by another tenant) is a refused field value, as a taken template
    # set or application name is: 422 naming the field.
    taken = await session.get(SesDomain, domain, populate_existing=True)
    if taken is not None and (taken.tenant_id == tenant_id or await _holds(session, taken)):
        raise ValidationError("domain", f"The domain {domain} is already registered.")
    elsewhere = await _related_elsewhere(session, domain, tenant_id)
    held = [other.domain for other in elsewhere if await _holds(session, other)]
    if held:
        raise ValidationError("domain", RELATED_ELSEWHERE.format(domain=domain, other=held[0]))
    for stale in [record for record in (taken, *elsewhere) if record is not None]:
        await _release(session, client, stale)
    records = await client.create_identity(domain)
    record = SesDomain(
        domain=domain, tenant_id=tenant_id, status="pending", records=[asdict(r) for r in records]
    )
    session.add(record)
    await audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        resource="ses-domain",
        action="create",
        changes={"domain": domain},
    )
    await session.flush()
    return record


async def lock_registrations(session: AsyncSession, tenant_id: str) -> None:
    """Serialize, until they end, the transactions that register, delete or choose a domain
    (saving an SES configuration), platform-wide: the rules span tenants (a domain and its
    subdomains are one tenant's). PostgreSQL: an advisory lock of the transaction; SQLite: the
    database's write lock, which any row lock takes (the tenant's row here), held while SES is
    asked (as a release held it already): adding a domain is a rare administrator's action."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(REGISTRATION_LOCK)))
    else:
        await lock_rows(session, Tenant.display_name, Tenant.id == tenant_id)


async def _related_elsewhere(session: AsyncSession, domain: str, tenant_id: str) -> list[SesDomain]:
    """Domains other tenants registered that are parents of ``domain`` or under it, the
    nearest parent first. SES lets a verified domain's subdomains send too, and every tenant
    shares the platform's account, so a domain and its subdomains must belong to one tenant."""
    labels = domain.split(".")
    parents = [".".join(labels[n:]) for n in range(1, len(labels) - 1)]
    found = await session.scalars(
        select(SesDomain)
        .where(
            SesDomain.tenant_id != tenant_id,
            or_(SesDomain.domain.in_(parents), SesDomain.domain.endswith(f".{domain}")),
        )
        # The longest first: of its parents, the nearest; one order, whatever the row order.
        .order_by(func.length(SesDomain.domain).desc(), SesDomain.domain)
    )
    return list(found)


async def _holds(session: AsyncSession, record: SesDomain) -> bool:
    """Whether a registration keeps other tenants from the domain: once verified, while it has
    its 72 hours to be, or while its tenant's SES configuration uses it. A domain nobody
    verified in time is released to the next tenant that adds it, so no tenant can keep a
    company's domain from it by registering it first."""
    if record.status == "verified":
        return True
    if record.status == "pending" and utcnow() - record.created_at <= VERIFY_DEADLINE:
        return True
    config = await get_config(session, record.tenant_id)
    return config is not None and config.mode == "ses" and record.domain in _domains_of(config)


async def _release(session: AsyncSession, client: SesClient, record: SesDomain) -> None:
    """Take a domain not verified in time from the tenant that registered it, recorded in
    that tenant's log without naming the tenant that takes it."""
    await client.delete_identity(record.domain)
    await session.delete(record)
    await audit.record(
        session,
        tenant_id=record.tenant_id,
        actor="platform",
        resource="ses-domain",
        action="release",
        changes={"domain": record.domain, "reason": RELEASED},
    )
    await session.flush()


async def verify_domain(
    session: AsyncSession, client: SesClient, *, tenant_id: str, domain: str
) -> SesDomain:
    """Ask SES: Pending -> Verified, or Failed once 72 hours passed without verification."""
    record = await get_domain(session, tenant_id, domain)
    state = await client.identity_state(record.domain)
    now = utcnow()
    if state.verified:
        record.status = "verified"
    elif state.failed or now - record.created_at > VERIFY_DEADLINE:
        record.status = "failed"
    record.checked_at = now
    await session.flush()
    return record


async def delete_domain(
    session: AsyncSession, client: SesClient, *, tenant_id: str, domain: str, actor: str
) -> None:
    # Not while a save is between its check of the domains and its write (validate_ses).
    await lock_registrations(session, tenant_id)
    record = await get_domain(session, tenant_id, domain)
    config = await get_config(session, tenant_id)
    if config is not None and config.mode == "ses" and domain in _domains_of(config):
        raise ConflictError(
            f"The domain {domain} is used by the SES configuration; change or remove it first."
        )
    await client.delete_identity(domain)
    await session.delete(record)
    await audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        resource="ses-domain",
        action="delete",
        changes={"domain": domain},
    )
    await session.flush()


def _domains_of(config: MailServerConfig) -> set[str]:
    addresses = [config.sender_email, config.reply_to or ""]
    return {a.rsplit("@", 1)[-1] for a in addresses if "@" in a}


async def choosable_domains(session: AsyncSession, tenant_id: str, settings: Settings) -> list[str]:
    """The platform's default domain and the tenant's verified domains."""
    own = [d.domain for d in await list_domains(session, tenant_id) if d.status == "verified"]
    return [settings.ses_default_domain, *own]


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


async def validate_ses(
    session: AsyncSession, raw: dict[str, Any], *, tenant_id: str, settings: Settings
) -> SesInput:
    """The addresses wanted, on domains the tenant may choose; until the transaction ends, no
    domain is deleted or released (the configuration is stored on them after this check)."""
    await lock_registrations(session, tenant_id)
    choices = await choosable_domains(session, tenant_id, settings)
    from_username = validate_username(_text(raw, "from_username"), field="from_username")
    from_domain = _chosen_domain(_text(raw, "from_domain"), choices, field="from_domain")
    reply_username = _text(raw, "reply_to_username")
    reply_domain = _text(raw, "reply_to_domain")
    if bool(reply_username) != bool(reply_domain):
        field = "reply_to_domain" if reply_username else "reply_to_username"
        raise ValidationError(field, "Give both the user name and the domain of Reply to.")
    if reply_username:
        validate_username(reply_username, field="reply_to_username")
        reply_domain = _chosen_domain(reply_domain, choices, field="reply_to_domain")
    return SesInput(from_username, from_domain, reply_username or None, reply_domain or None)


def _chosen_domain(value: str, choices: list[str], *, field: str) -> str:
    domain = value.lower()
    if domain not in choices:
        raise ValidationError(
            field, f"Choose the platform's domain or one of your verified domains, not {value!r}."
        )
    return domain


async def store_ses(
    session: AsyncSession, *, tenant_id: str, actor: str, wanted: SesInput
) -> MailServerConfig:
    """Create or replace the tenant's configuration (a custom one included) with SES."""
    current = await get_config(session, tenant_id)
    before = _logged_addresses(current) if current and current.mode == "ses" else {}
    config = current or MailServerConfig(tenant_id=tenant_id, version=0)
    action = "update" if current is not None else "create"
    config.mode = "ses"
    config.host, config.port, config.security, config.authentication = "", 0, "ssl", "none"
    config.username = config.password_encrypted = None
    config.rate_limit_per_minute = None
    config.sender_email, config.sender_name = wanted.sender_email, ""
    config.reply_to = wanted.reply_to
    config.version += 1
    config.updated_at, config.updated_by = utcnow(), actor
    session.add(config)
    await log_saved(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        mode="ses",
        before=before,
        after=_logged_addresses(config),
    )
    await session.flush()
    return config


def _logged_addresses(config: MailServerConfig) -> dict[str, str | None]:
    return {"sender_email": config.sender_email, "reply_to": config.reply_to}
