"""The placeholder values an e-mail of one user is rendered with."""

from __future__ import annotations

from typing import Any

from gatehouse.accounts.models import User
from gatehouse.applications.models import Application
from gatehouse.applications.service import sp_name
from gatehouse.tenants.models import Tenant


def user_context(
    user: User,
    tenant: Tenant,
    *,
    origin: str,
    application: Application | None = None,
    **links: str,
) -> dict[str, Any]:
    """``{"user": {...}, "other": {}}`` with the reference's placeholder names: every common
    placeholder, the application's name and home URL, and the process's ``links`` (e.g.
    ``reset_password_link``). Processes add their ``other`` values (e.g. ``emailOtpCode``)."""
    home = f"{origin}/"
    values: dict[str, str] = {
        "firstName": user.first_name or user.email.split("@", 1)[0],
        "lastName": user.last_name,
        "mail": user.email,
        "loginName": user.login_name or "",
        "uid": user.id,
        "sp_name": sp_name(application, tenant),
        "ids_home_link": home,
        "company_logo": "",
        "header": "",
        "footer": "",
        "target_url": (application.home_url if application else "") or home,
    }
    values.update(links)
    return {"user": values, "other": {}}
