"""A new API client secret is shown once, on the page the browser is sent to after the form
that made it (post, redirect, get): reloading that page then neither posts the form again (a
second secret, or a second system) nor shows the secret again.

The secret travels to that page in a cookie encrypted with the platform's keys, valid for that
page's path and two minutes only, and the page that shows it clears it. Nothing of it is kept
on the server."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from gatehouse.crypto import SecretBox
from gatehouse.errors import GatehouseError
from gatehouse.web.csrf import is_https

COOKIE = "gh_shown_once"
MAX_AGE_SECONDS = 120  # long enough for a slow redirect, short enough to be gone when unused


def redirect_showing(request: Request, page: str, secret: str, box: SecretBox) -> Response:
    """303 to ``page`` (a path), which shows ``secret`` once."""
    response = RedirectResponse(page, status_code=303)
    response.set_cookie(
        COOKIE,
        box.encrypt(f"{page}\n{secret}"),  # bound to the page: shown nowhere else
        max_age=MAX_AGE_SECONDS,
        path=page,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )
    return response


def secret_for_this_page(request: Request, box: SecretBox) -> str | None:
    """The secret carried to this page, if any; the answer must go through forget()."""
    carried = request.cookies.get(COOKIE)
    if not carried:
        return None
    try:
        page, _, secret = box.decrypt(carried, max_age_seconds=MAX_AGE_SECONDS).partition("\n")
    except GatehouseError:  # expired, or written with a key no longer configured
        return None
    return secret if page == request.url.path and secret else None


def forget(request: Request, response: Response) -> Response:
    """Clear the cookie, so a reload shows the page without the secret."""
    if COOKIE in request.cookies:
        response.delete_cookie(
            COOKIE,
            path=request.url.path,
            httponly=True,
            samesite="strict",
            secure=is_https(request),
        )
    return response
