"""Creating, finding and renaming tenants, their custom domains, and host -> tenant
resolution."""

from __future__ import annotations

import re
import secrets
import string

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.errors import ConflictError, NotFoundError, ValidationError
from gatehouse.tenants.models import Tenant, TenantDomain

DISPLAY_NAME_RE = re.compile(r"^[\w .'\-]{1,50}$")
TENANT_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
RESERVED_IDS = frozenset({"www", "admin", "api", "mail", "localhost", "service"})
BASE_DOMAIN_HOST = (
    "{domain} is under the base domain {base}, whose host names are the tenants' own "
    "(<tenant ID>.{base}): choose a name outside it."
)
RESOURCE = "tenant"  # the change log of the tenant's own information (its display name)
DISPLAY_NAME_RULE = "must be 1 to 50 characters: letters, digits, spaces and _ - . ' only"


def validate_display_name(display_name: str) -> str:
    # \w is Unicode letters, digits and the underscore: the reference's rule, in any script.
    if not DISPLAY_NAME_RE.fullmatch(display_name) or not display_name.strip():
        raise ValidationError("display_name", f"The display name {DISPLAY_NAME_RULE}.")
    return display_name


def validate_tenant_id(tenant_id: str) -> str:
    if not TENANT_ID_RE.fullmatch(tenant_id) or tenant_id in RESERVED_IDS:
        raise ValidationError(
            "id",
            "The tenant ID must be 1 to 63 lower-case letters, digits or hyphens, "
            "not starting or ending with a hyphen, and not a reserved name.",
        )
    return tenant_id


def generate_tenant_id() -> str:
    """Unguessable and DNS-safe: a letter, then 11 lower-case letters or digits (~57 bits)."""
    alphabet = string.ascii_lowercase + string.digits
    return secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(alphabet) for _ in range(11)
    )


async def create_tenant(
    session: AsyncSession, *, display_name: str, tenant_id: str | None = None
) -> Tenant:
    validate_display_name(display_name)
    tenant_id = validate_tenant_id(tenant_id) if tenant_id else generate_tenant_id()
    if await session.get(Tenant, tenant_id) is not None:
        raise ConflictError(f"A tenant with the ID {tenant_id} already exists.")
    tenant = Tenant(id=tenant_id, display_name=display_name)
    session.add(tenant)
    await session.flush()
    return tenant


async def rename_tenant(
    session: AsyncSession, *, tenant: Tenant, display_name: str, actor: str
) -> bool:
    """Give ``tenant`` the display name ``display_name`` (1-50 characters, the reference's
    rule), recorded in the change log; False, and nothing recorded, when it has it already."""
    validate_display_name(display_name)
    if display_name == tenant.display_name:
        return False
    tenant.display_name = display_name
    await audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        resource=RESOURCE,
        action="update",
        changes={"display_name": display_name},
    )
    await session.flush()
    return True


async def list_tenants(session: AsyncSession) -> list[Tenant]:
    return list((await session.scalars(select(Tenant).order_by(Tenant.created_at))).all())


async def get_tenant(session: AsyncSession, tenant_id: str) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(f"No tenant with the ID {tenant_id}.")
    return tenant


async def add_domain(
    session: AsyncSession, *, tenant_id: str, domain: str, base_domain: str
) -> TenantDomain:
    domain = domain.strip().lower().rstrip(".")
    if not DOMAIN_RE.fullmatch(domain):
        raise ValidationError("domain", f"{domain!r} is not a valid domain name.")
    if _is_tenant_host(domain, base_domain):  # tenant_for_host never reads a record of one
        raise ValidationError("domain", BASE_DOMAIN_HOST.format(domain=domain, base=base_domain))
    await get_tenant(session, tenant_id)
    if await session.get(TenantDomain, domain) is not None:
        raise ConflictError(f"The domain {domain} is already in use.")
    record = TenantDomain(domain=domain, tenant_id=tenant_id)
    session.add(record)
    await session.flush()
    return record


async def tenant_for_host(session: AsyncSession, host: str, *, base_domain: str) -> Tenant | None:
    """``<id>.<base domain>`` or a custom domain; the port is ignored. None when unknown."""
    name = host.rsplit(":", 1)[0].strip().lower().rstrip(".") if host else ""
    suffix = "." + base_domain.lower()
    if name.endswith(suffix):
        candidate = name[: -len(suffix)]
        if "." not in candidate and candidate:
            return await session.get(Tenant, candidate)
    record = await session.get(TenantDomain, name) if name else None
    return await session.get(Tenant, record.tenant_id) if record else None


def _is_tenant_host(name: str, base_domain: str) -> bool:
    """Whether ``name`` is the base domain or ``<one label>.<base domain>``: the host names
    given to tenants by their ID, already or once a tenant of that ID is created."""
    base = base_domain.lower().rstrip(".")
    return name == base or (name.endswith("." + base) and "." not in name[: -len(base) - 1])


def tenant_host(tenant: Tenant, *, base_domain: str) -> str:
    return f"{tenant.id}.{base_domain}"
