"""Names that others see refuse text-direction overrides and C1 control characters, as users'
names do: an application's, a template set's, a system's and an inviter's name (the API and
the console), each with a message naming the field, and nothing created. "\u202emoc.knab"
shows as "bank.com" in a subject or a page."""

from __future__ import annotations

import pytest

from gatehouse.accounts.authorizations import Authorization
from tests.support.accounts import api_client, sign_in
from tests.support.live import LiveServer
from tests.support.pages import post_form

REFUSED = "Line breaks, control characters and text-direction overrides are not allowed."
HIDDEN = ["Travel \u202emoc.knab", "Travel\u2066x", "Travel\x9bx"]


@pytest.mark.parametrize("name", HIDDEN)
def test_api_names_refuse_hidden_characters(demo: LiveServer, name: str) -> None:
    caller = api_client(
        demo,
        Authorization.MANAGE_TENANT_CONFIGURATION,
        Authorization.MANAGE_APPLICATIONS,
        Authorization.MANAGE_USERS,
    )
    with demo.client(auth=caller) as api:
        answers = [
            api.post(
                "/admin/api/v1/applications",
                json={"name": name, "home_url": "https://travel.example/"},
            ),
            api.post("/admin/api/v1/template-sets", json={"name": name}),
            api.post(
                "/admin/api/v1/invitations",
                json={"email": "guest@demo.test", "inviter_name": name},
            ),
        ]
        fields = ["name", "name", "inviter_name"]
        assert [(a.status_code, a.json()) for a in answers] == [
            (422, {"detail": {"field": field, "message": REFUSED}}) for field in fields
        ]
        assert len(api.get("/admin/api/v1/applications").json()["applications"]) == 1
        assert len(api.get("/admin/api/v1/template-sets").json()["template_sets"]) == 1
        assert api.get("/admin/api/v1/users", params={"search": "guest"}).json()["users"] == []


def test_a_system_name_refuses_hidden_characters_in_the_console(demo: LiveServer) -> None:
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        refused = post_form(
            admin,
            "/admin/administrators/systems/new",
            {"name": HIDDEN[0], "expiry": "never", "authorization": "read-users"},
        )
        listing = admin.get("/admin/administrators").text
    assert refused.status_code == 422 and REFUSED in refused.text
    assert "moc.knab" not in listing
