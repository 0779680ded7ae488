"""CSRF protection for every form: a random token in an HttpOnly cookie, and in each form's
hidden field the platform's MAC of it and of the session cookies the request carries (signed
double submit). Unsigned, whoever can plant a cookie for the host (a neighbouring subdomain, a
network attacker on plain http) could post a form with the value planted; the MAC is made only
with the platform's keys. Bound to the session too: any visitor gets a cookie and its field
from any page, and such a pair, planted beside a victim's session, must be worth nothing.
Over https the cookie is ``__Host-gh_csrf``, which browsers let no subdomain and no plain http
page set: a pair cannot be planted at all, not even for the forms used before signing in
(logon, forgot password), where there is no session to bind to. SameSite=Lax cookies add a
further line of defence."""

from __future__ import annotations

import json
from collections.abc import Mapping

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from gatehouse.crypto import SecretBox, new_token
from gatehouse.web.nul import NUL_REFUSED, form_holds_nul

CSRF_COOKIE = "gh_csrf"
SECURE_CSRF_COOKIE = "__Host-gh_csrf"  # over https (Secure, path /, no Domain, as the prefix asks)
CSRF_FIELD = "csrf_token"
MAC_PURPOSE = "csrf"
# The session cookies (the console's and the end-user pages'), named here for the modules
# that set them, as a form's field is bound to them. A page and the forms it posts are on the
# same side (/admin or not), so they are sent the same ones.
ADMIN_COOKIE = "gh_admin"
USER_COOKIE = "gh_user"
SESSION_COOKIES = (ADMIN_COOKIE, USER_COOKIE)
CSRF_FAILED = "The form has expired or did not come from this site. Reload the page and try again."


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def csrf_cookie_name(request: Request) -> str:
    return SECURE_CSRF_COOKIE if is_https(request) else CSRF_COOKIE


def csrf_cookie(request: Request) -> str | None:
    """The token of the request's CSRF cookie, if it sent one."""
    return request.cookies.get(csrf_cookie_name(request))


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    secure = is_https(request)
    response.set_cookie(
        csrf_cookie_name(request), token, httponly=True, samesite="lax", secure=secure, path="/"
    )


def form_token(request: Request, cookie_token: str) -> str:
    """What the forms of a page carry for the cookie's ``cookie_token`` (and the request's
    sessions)."""
    return _box(request).mac(MAC_PURPOSE, signed_value(cookie_token, request.cookies))


def signed_value(cookie_token: str, cookies: Mapping[str, str]) -> str:
    """What the forms' MAC is of: the CSRF cookie's token and the session cookies sent."""
    return json.dumps([cookie_token, *(cookies.get(name, "") for name in SESSION_COOKIES)])


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.runtime.secret_box
    return box


def rotate_csrf_cookie(request: Request, response: Response) -> None:
    """A new token at sign-in and sign-out, so a token seen before cannot be replayed."""
    set_csrf_cookie(request, response, new_token())


async def checked_form(request: Request) -> FormData:
    """The request's form, after checking its CSRF token against the cookie (403 otherwise);
    400 for a NUL in a field of a multipart form (other bodies never get here with one)."""
    form = await request.form()
    if form_holds_nul(form):
        raise HTTPException(status_code=400, detail=NUL_REFUSED)
    cookie = csrf_cookie(request) or ""
    field = form.get(CSRF_FIELD)
    if (
        not cookie
        or not isinstance(field, str)
        or not _box(request).mac_matches(MAC_PURPOSE, signed_value(cookie, request.cookies), field)
    ):
        raise HTTPException(status_code=403, detail=CSRF_FAILED)
    return form
