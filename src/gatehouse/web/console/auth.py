"""Who is signed in to the console, and what they may do there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import User
from gatehouse.accounts.sessions import load_session
from gatehouse.accounts.users import authorizations_of, get_user
from gatehouse.tenants.models import Tenant
from gatehouse.web.csrf import ADMIN_COOKIE
from gatehouse.web.tenancy import CurrentTenant, DbSession

# The 403 page names what to ask for ("... needs: Manage Tenant Configuration.").
FORBIDDEN = "You do not have the authorization this page needs"


class SignInRequired(Exception):
    """Raised for a console page without a live admin session; answered with a redirect."""


def sign_in_url(request: Request) -> str:
    """The sign-in page, which returns to the page asked for (a GET's; a form sent without a
    session is not sent again)."""
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    asked = path + (f"?{request.url.query}" if request.url.query else "")  # as it was encoded
    if request.method != "GET" or return_to(asked) == "/admin":
        return "/admin/signin"
    return f"/admin/signin?{urlencode({'next': asked})}"


def return_to(value: str | None) -> str:
    """Where a sign-in leads: ``value`` if it is a console page of this host, else the console
    home (never another site: ``//evil.test`` or ``/\\evil.test`` are addresses of one)."""
    if (
        value
        and len(value) <= 2000
        and (value == "/admin" or value.startswith(("/admin/", "/admin?")))
        and "\\" not in value
        and not any(ord(character) < 32 for character in value)
    ):
        return value
    return "/admin"


@dataclass(frozen=True)
class Admin:
    user: User
    tenant: Tenant
    authorizations: frozenset[Authorization]

    def may(self, authorization: Authorization) -> bool:
        return authorization in self.authorizations


async def current_admin(request: Request, session: DbSession, tenant: CurrentTenant) -> Admin:
    token = request.cookies.get(ADMIN_COOKIE)
    record = (
        await load_session(session, tenant_id=tenant.id, token=token, kind="admin")
        if token
        else None
    )
    user = await get_user(session, tenant.id, record.user_id) if record else None
    if user is None or user.status != "active":
        raise SignInRequired
    authorizations = await authorizations_of(session, tenant.id, user.id)
    if not authorizations:
        raise SignInRequired  # no longer an administrator
    admin = Admin(user=user, tenant=tenant, authorizations=authorizations)
    request.state.admin = admin  # an error page of this request keeps the console's header
    return admin


CurrentAdmin = Annotated[Admin, Depends(current_admin)]


async def signed_in_admin(request: Request, session: DbSession, tenant: Tenant) -> Admin | None:
    """The administrator of a live console session, or None (no error: for pages that serve
    both)."""
    try:
        return await current_admin(request, session, tenant)
    except SignInRequired:
        return None


def forbidden(needed: tuple[Authorization, ...]) -> str:
    """The 403 message, naming the authorizations any of which opens the page."""
    return f"{FORBIDDEN}: {' or '.join(a.label for a in needed)}."


def require(*needed: Authorization) -> object:
    """A dependency admitting administrators holding any of ``needed`` (403 otherwise)."""

    async def check(admin: CurrentAdmin) -> Admin:
        if not any(admin.may(a) for a in needed):
            raise HTTPException(status_code=403, detail=forbidden(needed))
        return admin

    return Depends(check)
