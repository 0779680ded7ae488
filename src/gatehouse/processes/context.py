"""The placeholder values an e-mail of one user is rendered with."""

from __future__ import annotations

from typing import Any

from gatehouse.accounts.models import User
from gatehouse.tenants.models import Tenant


def user_context(user: User, tenant: Tenant, *, origin: str, **links: str) -> dict[str, Any]:
    """``{"user": {...}, "other": {}}`` with the reference's placeholder names."""
    values: dict[str, str] = {
        "firstName": user.first_name or user.email.split("@", 1)[0],
        "lastName": user.last_name,
        "mail": user.email,
        "loginName": user.login_name or "",
        "uid": user.id,
        "sp_name": tenant.display_name,
        "ids_home_link": f"{origin}/",
    }
    values.update(links)
    return {"user": values, "other": {}}
