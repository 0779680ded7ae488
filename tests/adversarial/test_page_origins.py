"""No page of a tenant's host runs code or styles from another site. A script on the tenant's
origin can read every console page under ``/admin`` with the administrator's cookie and send
its forms: the admin API's Swagger UI (``/admin/api/v1/docs``) loaded swagger-ui from
cdn.jsdelivr.net, any 5.x release, so whoever could publish to that package or serve that CDN
could act as every administrator who opened it."""

from __future__ import annotations

import re

from tests.adversarial.catalogue import documented_routes
from tests.support.live import LiveServer

# <script src=...> and <link href=...> pointing at another origin (absolute or //host).
FOREIGN = re.compile(
    r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:[a-z][a-z0-9+.-]*:)?//",
    re.IGNORECASE,
)
SWAGGER_UI = "/admin/api/v1/docs"


def public_pages() -> list[str]:
    """Every public GET route without parameters, and the address Swagger UI was served at."""
    paths = [
        route.path
        for route in documented_routes()
        if route.method == "GET" and route.access == "public" and not route.params
    ]
    return sorted({*paths, SWAGGER_UI})


def test_no_public_page_loads_a_script_or_style_from_another_site(demo: LiveServer) -> None:
    """Public pages of a tenant's host reference scripts and styles of their own origin only."""
    with demo.client() as client:
        answers = {path: client.get(path) for path in public_pages()}
    foreign = {
        path: FOREIGN.findall(a.text) for path, a in answers.items() if FOREIGN.search(a.text)
    }
    assert foreign == {}
    assert answers[SWAGGER_UI].status_code == 404
