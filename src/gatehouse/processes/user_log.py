"""A user's change log: what administrators, systems and the users themselves changed of one
user account (the console's user page shows it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.accounts.models import User
from gatehouse.accounts.users import set_password

# How users set their own password, as their change log says (the password itself never).
PASSWORD_CHANGED_ON_PROFILE = "changed on the profile page"
PASSWORD_SET_WITH_LINK = "set with a reset link"
PASSWORD_SET_WITH_ACTIVATION = "set with the activation link"


def user_resource(user_id: str) -> str:
    """The change log resource of one user."""
    return f"user:{user_id}"


async def record_user_change(
    session: AsyncSession, user: User, actor: str, action: str, **changes: Any
) -> None:
    await audit.record(
        session,
        tenant_id=user.tenant_id,
        actor=actor,
        resource=user_resource(user.id),
        action=action,
        changes=changes,
    )


async def record_own_change(session: AsyncSession, user: User, **changes: Any) -> None:
    """A change users made to their own account (profile page, reset or activation link)."""
    await record_user_change(session, user, f"user:{user.email}", "update", **changes)


async def set_own_password(session: AsyncSession, user: User, password: str, how: str) -> None:
    """Users set their own password (``how``: the profile page, a reset or activation link),
    checked against the policy first, in their change log with the status it gave them if it
    changed (a new user is active once a password is set)."""
    status = user.status
    set_password(user, password)
    changes: dict[str, Any] = {"password": how}
    if user.status != status:
        changes["status"] = user.status
    await record_own_change(session, user, **changes)
