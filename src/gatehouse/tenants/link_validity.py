"""How long the links in a tenant's e-mails stay valid, per e-mail process: 1-23 hours or
1-30 days. Defaults: 2 hours for password links, 14 days for registration and invitation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.db.base import utcnow
from gatehouse.errors import ValidationError
from gatehouse.tenants.models import LinkValidity

RESOURCE = "link-validity"
HOURS, DAYS = "hours", "days"
UNIT_RANGES = {HOURS: (1, 23), DAYS: (1, 30)}
RULE = "Choose 1 to 23 hours or 1 to 30 days."


@dataclass(frozen=True)
class Validity:
    amount: int
    unit: str

    @property
    def duration(self) -> timedelta:
        return timedelta(hours=self.amount) if self.unit == HOURS else timedelta(days=self.amount)

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


# process slug -> (label, default), in the order the settings page shows them
PROCESSES: dict[str, tuple[str, Validity]] = {
    "forgot-password": ("Forgot Password", Validity(2, HOURS)),
    "locked-password": ("Locked Password", Validity(2, HOURS)),
    "reset-password": ("Reset Password", Validity(2, HOURS)),
    "self-registration": ("Self-Registration", Validity(14, DAYS)),
    "on-behalf-registration": ("On-Behalf Registration", Validity(14, DAYS)),
    "invitation": ("Invitation", Validity(14, DAYS)),
}


def parse_validity(process: str, amount: object, unit: object) -> Validity:
    """A validity from form or JSON input; ValidationError naming ``<process>`` otherwise."""
    if process not in PROCESSES:
        raise ValidationError("process", f"Unknown e-mail process {process!r}.")
    label = PROCESSES[process][0]
    if unit not in UNIT_RANGES:
        raise ValidationError(process, f"{label}: choose hours or days.")
    try:
        number = int(str(amount).strip())
    except ValueError:
        raise ValidationError(process, f"{label}: {RULE}") from None
    low, high = UNIT_RANGES[str(unit)]
    if not low <= number <= high:
        raise ValidationError(process, f"{label}: {RULE}")
    return Validity(number, str(unit))


async def validities(session: AsyncSession, tenant_id: str) -> dict[str, Validity]:
    """Every process's validity in this tenant (stored, else the default)."""
    rows = await session.scalars(select(LinkValidity).where(LinkValidity.tenant_id == tenant_id))
    stored = {row.process: Validity(row.amount, row.unit) for row in rows}
    return {process: stored.get(process, default) for process, (_, default) in PROCESSES.items()}


async def link_validity(session: AsyncSession, tenant_id: str, process: str) -> timedelta:
    """How long a link sent by ``process`` is valid in this tenant."""
    row = await session.get(LinkValidity, (tenant_id, process))
    if row is not None:
        return Validity(row.amount, row.unit).duration
    return PROCESSES[process][1].duration if process in PROCESSES else timedelta(hours=2)


async def save_validities(
    session: AsyncSession, *, tenant_id: str, actor: str, values: dict[str, Validity]
) -> dict[str, Any]:
    """Store the changed validities and record them in the change log; the changes made."""
    current = await validities(session, tenant_id)
    changes: dict[str, Any] = {}
    for process, validity in values.items():
        if process not in PROCESSES or current[process] == validity:
            continue
        row = await session.get(LinkValidity, (tenant_id, process))
        if row is None:
            row = LinkValidity(tenant_id=tenant_id, process=process)
            session.add(row)
        row.amount, row.unit = validity.amount, validity.unit
        row.updated_at, row.updated_by = utcnow(), actor
        changes[process] = str(validity)
    if changes:
        await audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            resource=RESOURCE,
            action="update",
            changes=changes,
        )
        await session.flush()
    return changes
