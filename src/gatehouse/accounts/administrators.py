"""Administrators: users holding at least one authorization. Changing them is recorded in the
change log; nobody can take *Manage Tenant Configuration* away from themself, so a tenant always
keeps someone who can manage administrators."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization, labels_of
from gatehouse.accounts.models import AdminAuthorization, User
from gatehouse.accounts.users import authorizations_of, set_authorizations
from gatehouse.errors import ConflictError

RESOURCE = "administrators"
OWN_TENANT_CONFIGURATION = "You cannot remove Manage Tenant Configuration from yourself."


@dataclass(frozen=True)
class Administrator:
    user: User
    authorizations: frozenset[Authorization]

    @property
    def labels(self) -> list[str]:
        return labels_of(self.authorizations)


async def list_administrators(session: AsyncSession, tenant_id: str) -> list[Administrator]:
    rows = await session.execute(
        select(User, AdminAuthorization.authorization)
        .join(
            AdminAuthorization,
            (AdminAuthorization.tenant_id == User.tenant_id)
            & (AdminAuthorization.user_id == User.id),
        )
        .where(User.tenant_id == tenant_id)
        .order_by(User.email)
    )
    found: dict[str, tuple[User, set[Authorization]]] = {}
    for user, slug in rows:
        found.setdefault(user.id, (user, set()))[1].add(Authorization(slug))
    return [Administrator(user, frozenset(held)) for user, held in found.values()]


async def change_authorizations(
    session: AsyncSession,
    *,
    user: User,
    authorizations: frozenset[Authorization],
    actor: str,
    actor_user_id: str | None,
) -> frozenset[Authorization]:
    """Give ``user`` exactly ``authorizations`` (none: a plain user again, not deleted).
    Returns what they held before."""
    before = await authorizations_of(session, user.tenant_id, user.id)
    manage = Authorization.MANAGE_TENANT_CONFIGURATION
    if user.id == actor_user_id and manage in before and manage not in authorizations:
        raise ConflictError(OWN_TENANT_CONFIGURATION)
    if before == authorizations:
        return before
    await set_authorizations(session, user.tenant_id, user.id, authorizations)
    action = "create" if not before else ("delete" if not authorizations else "update")
    await audit.record(
        session,
        tenant_id=user.tenant_id,
        actor=actor,
        resource=RESOURCE,
        action=action,
        changes={
            "user": user.email,
            "authorizations": ", ".join(labels_of(authorizations)) or None,
        },
    )
    return before
