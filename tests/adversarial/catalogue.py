"""Every route the application serves, read from the FastAPI app itself (the mounted admin API
included), the documented authorizations of each (docs/authorizations.md), and how to call each
one: path parameters filled from a tenant's resources, and a small body that reaches the
handler (a form with the CSRF token, or JSON)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.routing import Mount

from gatehouse.settings import Settings
from gatehouse.web.app import create_app
from tests.adversarial.world import LINK, World

DOC = Path(__file__).resolve().parents[2] / "docs" / "authorizations.md"
API_PREFIX = "/admin/api/v1"
ROW_RE = re.compile(r"^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*(/\S*)\s*\|\s*([^|]+?)\s*\|\s*$")
SPECIAL = frozenset({"public", "user", "any", "dev"})
PARAM_RE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # template, e.g. /admin/users/{user_id}
    access: str  # public | user | any | dev | comma-separated authorization slugs

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API_PREFIX + "/")

    @property
    def is_console(self) -> bool:
        return self.path == "/admin" or (self.path.startswith("/admin/") and not self.is_api)

    @property
    def is_form(self) -> bool:
        """A state-changing HTML form (cookie session + CSRF token), not a JSON endpoint."""
        return self.method == "POST" and not self.is_api and not self.path.startswith("/service/")

    @property
    def allowed(self) -> frozenset[str] | None:
        """The authorizations admitted, or None for public, user and dev routes."""
        if self.access in ("public", "user", "dev"):
            return None
        if self.access == "any":
            return frozenset({"*"})
        return frozenset(a.strip() for a in self.access.split(","))

    @property
    def params(self) -> list[str]:
        return PARAM_RE.findall(self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint, through mounts and included routers (FastAPI keeps
    included routers as wrappers from 0.13x on; older versions list APIRoutes directly)."""
    for route in routes:
        if isinstance(route, Mount):
            inner = getattr(route.app, "routes", None)
            if inner is not None and hasattr(route.app, "openapi"):
                yield from _walk(inner, prefix + route.path)
            else:
                yield "GET", prefix + route.path + "/{path}"
            continue
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                for method in context.methods or ():
                    yield method, prefix + context.path
            continue
        for method in getattr(route, "methods", None) or ():
            yield method, prefix + route.path


@lru_cache(maxsize=1)
def served_routes() -> frozenset[tuple[str, str]]:
    """What a dev-mode application serves (HEAD answers are GET's)."""
    import tempfile

    settings = Settings(
        _env_file=None,
        data_dir=Path(tempfile.mkdtemp(prefix="gatehouse-routes-")),
        dev=True,
        secret_keys="bqZtUmq3Qkq6dP0b1xYkFJXWq2Q8LZr0sVxq5bW8yC4=",
    )
    app = create_app(settings)
    return frozenset((m, p) for m, p in _walk(app.routes) if m != "HEAD")


def documented_routes() -> list[Route]:
    """The rows of every table of docs/authorizations.md, in order."""
    found: list[Route] = []
    for line in DOC.read_text().splitlines():
        match = ROW_RE.match(line.strip())
        if match:
            method, path, access = match.groups()
            access = ", ".join(part.strip(" `") for part in access.split(","))
            found.append(Route(method, path, access))
    return found


def fill(route: Route, values: dict[str, str]) -> str:
    """The route's path with its parameters taken from ``values``."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "user_id" and route.path.startswith("/admin/administrators/"):
            name = "admin_user_id"
        if name == "path":
            return "style.css"
        return values[name]

    return PARAM_RE.sub(value, route.path)


# Form fields that let a console or end-user form reach its handler's logic (each refused or
# accepted there, never by a missing field); the CSRF token is added by the caller.
FORM_FIELDS: dict[str, dict[str, str]] = {
    "/admin/signin": {"identifier": "nobody@nowhere.test", "password": "x"},
    "/admin/tenant-settings/display-name": {"display_name": ""},
    "/admin/tenant-settings/mail-server": {"host": ""},
    "/admin/tenant-settings/mail-server/test-email": {"to": "ops@example.test"},
    "/admin/tenant-settings/mail-server/ses": {"from_username": "", "from_domain": ""},
    "/admin/tenant-settings/mail-server/ses/domains": {"domain": ""},
    "/admin/tenant-settings/link-validity": {},
    "/admin/users/new": {"email": ""},
    "/admin/users/{user_id}/edit": {"language": "xx"},
    "/admin/administrators/new": {"email": ""},
    "/admin/administrators/{user_id}": {"authorization": "read-users"},
    "/admin/administrators/systems/new": {"name": ""},
    "/admin/administrators/systems/{client_id}": {"name": "renamed", "authorization": "read-users"},
    "/admin/administrators/systems/{client_id}/secrets": {"expiry": "1y"},
    "/admin/email-template-sets": {"name": ""},
    "/admin/email-template-sets/{set_id}/rename": {"name": ""},
    "/admin/email-template-sets/{set_id}/templates/{slug}/{language}": {
        "subject": "S",
        "text": LINK,
        "html": LINK,
        "action": "preview",
    },
    "/admin/email-template-sets/{set_id}/templates/{slug}/{language}/test": {
        "to": "ops@example.test"
    },
    "/admin/applications": {"name": "", "home_url": ""},
    "/admin/applications/{app_id}": {"name": "", "home_url": ""},
    "/": {"identifier": "nobody@nowhere.test", "password": "x"},
    "/forgot-password": {"identifier": "nobody@nowhere.test"},
    "/reset-password": {"token": "not-a-token", "password": "x", "password_confirm": "y"},
    "/activate": {"token": "not-a-token", "password": "x", "password_confirm": "y"},
    "/register": {"email": "", "first_name": "", "last_name": ""},
    "/logon/code": {"code": "00000000"},
    "/profile/name": {"first_name": "", "last_name": ""},
    "/profile/language": {"language": "xx"},
    "/profile/password": {"current_password": "wrong", "password": "x", "password_confirm": "y"},
    "/profile/email": {"email": "new@example.test", "email_password": "wrong"},
}

# JSON bodies that pass the API's schema, so a call reaches its handler's logic.
API_BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/admin/api/v1/mail-server"): {"mode": "custom"},  # no host: refused, no network
    ("POST", "/admin/api/v1/mail-server/test"): {"mode": "custom"},
    ("POST", "/admin/api/v1/mail-server/ses-domains"): {"domain": "no-such-label"},
    ("POST", "/admin/api/v1/invitations"): {"email": "not-an-address"},
    ("POST", "/admin/api/v1/template-sets"): {"name": "Made by tests"},
    ("PATCH", "/admin/api/v1/template-sets/{set_id}"): {"name": "Renamed by tests"},
    ("PUT", "/admin/api/v1/template-sets/{set_id}/templates/{template_type}/{language}"): {
        "subject": "S",
        "text": "no link",
        "html": "no link",
    },
    ("POST", "/admin/api/v1/template-sets/{set_id}/templates/{template_type}/{language}/test"): {
        "to": "ops@example.test"
    },
    ("POST", "/admin/api/v1/applications"): {"name": "x", "home_url": "not a URL"},
    ("PUT", "/admin/api/v1/applications/{application_id}"): {"email_otp": False},
    ("PATCH", "/admin/api/v1/users/{user_id}"): {"language": "xx"},
}


def form_fields(route: Route) -> dict[str, str]:
    return dict(FORM_FIELDS.get(route.path, {}))


def api_body(route: Route) -> Any:
    return API_BODIES.get((route.method, route.path))


def request_for(route: Route, world: World) -> tuple[str, dict[str, Any]]:
    """The URL and the httpx keyword arguments of a harmless call of ``route`` naming
    ``world``'s resources (the caller adds credentials, cookies and the CSRF token)."""
    url = fill(route, world.path_values())
    kwargs: dict[str, Any] = {}
    if route.is_api or route.path.startswith("/service/"):
        body = api_body(route)
        if route.path.startswith("/service/"):
            body = {"identifier": "nobody@nowhere.test"}
        if body is not None:
            kwargs["json"] = body
    elif route.method == "POST":
        kwargs["data"] = form_fields(route)
    return url, kwargs
