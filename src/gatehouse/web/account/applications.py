"""The application a logon page serves (``?app=<id>``): which one, what its pages show, and
where a user goes after signing in. Without ``app`` the page serves User Profile."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications import service as applications
from gatehouse.applications.models import Application
from gatehouse.processes.settings import get_settings
from gatehouse.tenants.models import Tenant


async def application_from(
    session: AsyncSession, tenant: Tenant, app_id: str
) -> Application | None:
    """The tenant's application with this ID (404 when there is none); None without an ID."""
    if not app_id:
        return None
    application = await applications.get_application(session, tenant.id, app_id.strip())
    if application is None:
        raise HTTPException(status_code=404, detail=applications.NO_SUCH_APPLICATION)
    return application


async def served_application(session: AsyncSession, tenant: Tenant, app_id: str) -> Application:
    """The application a logon page serves: the one named, else User Profile."""
    named = await application_from(session, tenant, app_id)
    if named is not None:
        return named
    return await applications.require_application(session, tenant.id, applications.USER_PROFILE_ID)


def app_query(application: Application | None, *, first: bool = True) -> str:
    """``?app=<id>`` (or ``&app=``) for links that keep the application; "" for User Profile."""
    if application is None or applications.is_builtin(application):
        return ""
    return f"{'?' if first else '&'}app={application.id}"


async def page_extras(
    session: AsyncSession, tenant: Tenant, application: Application | None
) -> dict[str, Any]:
    """What the logon, registration and forgot-password pages show about the application."""
    shown = None if application is None or applications.is_builtin(application) else application
    return {
        "application": shown,
        "app_id": shown.id if shown else "",
        "app_query": app_query(shown),
        "self_registration": (await get_settings(session, tenant.id)).self_registration,
    }


def after_sign_in(application: Application | None) -> str:
    """The application's home URL, else the user's profile page."""
    if application is not None and application.home_url:
        return application.home_url
    return "/profile"
