"""Server-rendered pages: one Jinja2 environment, the CSRF cookie, and flash messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gatehouse.crypto import new_token
from gatehouse.processes.email_limit import USER_AT_LIMIT
from gatehouse.web.console import delivery_labels
from gatehouse.web.csrf import csrf_cookie, form_token, set_csrf_cookie

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def page_number(text: str) -> int:
    """A page number from the address bar; anything else is the first page."""
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 7 else 1


def actor_label(actor: str) -> str:
    """Who made a change, as a person reads it: ``admin:ann@x.test`` is ann@x.test,
    ``user:jo@x.test`` (on their own profile) is jo@x.test (the user), and
    ``client:<id> (ops)`` the API client ops."""
    kind, _, rest = actor.partition(":")
    if kind == "admin" and rest:
        return rest
    if kind == "user" and rest:
        return f"{rest} (the user)"
    if kind == "client" and rest.endswith(")") and " (" in rest:
        return f"API client {rest[rest.index(' (') + 2 : -1]}"
    return "command line" if actor == "cli" else actor


templates.env.filters["actor"] = actor_label
delivery_labels.register(templates.env)

# Messages shown after a redirect, by code, so a link can never inject text into a page.
FLASH_MESSAGES: dict[str, tuple[str, str]] = {
    "signed-out": ("success", "You have signed out."),
    "password-set": ("success", "Your password has been set. You can sign in now."),
    "account-activated": ("success", "Your account is active. You can sign in now."),
    "password-changed": ("success", "Your password has been changed."),
    "profile-saved": ("success", "Your profile has been saved."),
    "activated": ("success", "Your account is active. Welcome to the administration console."),
    "session-expired": ("info", "Your session has ended. Please sign in again."),
    "display-name-saved": ("success", "Display name saved."),
    "config-saved": ("success", "Configuration saved"),
    "config-removed": ("success", "Configuration removed"),
    "domain-added": ("success", "Domain added. Publish its DNS records, then choose Verify."),
    "domain-verified": ("success", "The domain is verified and can be chosen."),
    "domain-pending": ("info", "The domain is not verified yet: check its DNS records."),
    "domain-failed": ("error", "The domain could not be verified within 72 hours."),
    "domain-deleted": ("success", "Domain deleted."),
    # User Management, Administrators, link validity (issue 5)
    "user-created": ("success", "User created. The activation e-mail is on its way."),
    "activation-email-sent": (
        "success",
        "The activation e-mail is on its way again, with a new link.",
    ),
    "user-deactivated": ("success", "User deactivated."),
    "user-saved": ("success", "The user's details have been saved."),
    "user-activated": ("success", "User activated."),
    "counter-reset": ("success", "Counter reset: the count of e-mails is 0."),
    "reset-email-sent": ("success", "The Reset Password e-mail is on its way."),
    "reset-email-at-limit": ("error", USER_AT_LIMIT),
    "password-unlocked": ("success", "Password unlocked."),
    "email-code-unlocked": ("success", "E-mail codes unlocked."),
    "admin-added": ("success", "Administrator added."),
    "admin-invited": ("success", "Administrator added. The activation e-mail is on its way."),
    "admin-saved": ("success", "Authorizations saved."),
    "admin-removed": ("success", "Administrator removed: the user is a plain user again."),
    "system-saved": ("success", "System saved."),
    "system-deleted": ("success", "System deleted."),
    "secret-deleted": ("success", "Secret deleted."),
    "validity-saved": ("success", "Link validity saved."),
    # Template sets, applications, processes (issue 6)
    "set-created": ("success", "Template set created as a copy of Default."),
    "set-renamed": ("success", "Template set renamed."),
    "set-deleted": ("success", "Template set deleted."),
    "template-saved": ("success", "Template saved."),
    "template-deleted": ("success", "Template deleted: its e-mails fall back."),
    "template-already-deleted": (
        "info",
        "The set has no such template of its own: it was deleted already.",
    ),
    "application-created": ("success", "Application added."),
    "application-saved": ("success", "Application saved."),
    "application-deleted": ("success", "Application deleted."),
    "switches-saved": ("success", "Settings saved."),
    "email-changed": ("success", "Your e-mail address has been changed."),
    "code-sent": ("info", "We sent you a code by e-mail."),
    "code-kept": (
        "info",
        "The code we sent less than 3 minutes ago is still valid. You can ask for a new code 3 "
        "minutes after the last one.",
    ),
}


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the CSRF token (issuing the cookie if the browser has none)."""
    token = csrf_cookie(request) or getattr(request.state, "csrf_token", None)
    fresh = token is None
    if token is None:
        token = new_token()
        request.state.csrf_token = token
    flash = FLASH_MESSAGES.get(request.query_params.get("msg", ""))
    fields = form_token(request, token)
    page = {"request": request, "csrf_token": fields, "flash": flash, **(context or {})}
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    if fresh:
        set_csrf_cookie(request, response, token)
    return response
