"""Server-rendered pages: one Jinja2 environment, the CSRF cookie, and flash messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gatehouse.crypto import new_token
from gatehouse.web.csrf import CSRF_COOKIE, set_csrf_cookie

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# Messages shown after a redirect, by code, so a link can never inject text into a page.
FLASH_MESSAGES: dict[str, tuple[str, str]] = {
    "signed-out": ("success", "You have signed out."),
    "password-set": ("success", "Your password has been set. You can sign in now."),
    "password-changed": ("success", "Your password has been changed."),
    "profile-saved": ("success", "Your profile has been saved."),
    "activated": ("success", "Your account is active. Welcome to the administration console."),
    "session-expired": ("info", "Your session has ended. Please sign in again."),
    "config-saved": ("success", "Configuration saved"),
    "config-removed": ("success", "Configuration removed"),
}


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the CSRF token (issuing the cookie if the browser has none)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_token", None)
    fresh = token is None
    if token is None:
        token = new_token()
        request.state.csrf_token = token
    flash = FLASH_MESSAGES.get(request.query_params.get("msg", ""))
    page = {"request": request, "csrf_token": token, "flash": flash, **(context or {})}
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    if fresh:
        set_csrf_cookie(request, response, token)
    return response
