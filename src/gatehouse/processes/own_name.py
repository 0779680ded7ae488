"""Users correct their own first and last name on the profile page. No password is asked: a
name grants nothing, and the change is in the user's change log. The same rules as
self-registration: both names, at most 64 characters each, nothing hidden (plain_text.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.users import checked_names
from gatehouse.processes.user_log import record_own_change


async def change_own_name(
    session: AsyncSession, user: User, *, first_name: str, last_name: str
) -> bool:
    """Set the names; True when either changed (and the change log says which)."""
    first, last = checked_names(first_name, last_name)
    changes = {
        field: value
        for field, value in (("first_name", first), ("last_name", last))
        if getattr(user, field) != value
    }
    if not changes:
        return False
    user.first_name, user.last_name = first, last
    await record_own_change(session, user, **changes)
    return True
