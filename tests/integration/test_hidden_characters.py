"""Names that others see refuse text-direction overrides and C1 control characters, as users'
names do: an application's, a template set's and an inviter's name in the API (created or
renamed), a system's in the console, each with a message naming the field, and nothing
created or changed. "\u202emoc.knab"
shows as "bank.com" in a subject or a page."""

from __future__ import annotations

import pytest

from gatehouse.accounts.authorizations import Authorization
from tests.support.accounts import api_client, sign_in
from tests.support.live import LiveServer
from tests.support.pages import post_form

REFUSED = "Line breaks, control characters and text-direction overrides are not allowed."
HIDDEN = ["Travel \u202emoc.knab", "Travel\u2066x", "Travel\x9bx", "Travel\u200fx"]


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
        app = api.post(
            "/admin/api/v1/applications", json={"name": "Fine", "home_url": "https://f.example/"}
        ).json()
        set_id = api.post("/admin/api/v1/template-sets", json={"name": "Fine"}).json()["id"]
        renames = [
            api.put(f"/admin/api/v1/applications/{app['id']}", json={"name": name}),
            api.patch(f"/admin/api/v1/template-sets/{set_id}", json={"name": name}),
        ]
        assert [(a.status_code, a.json()) for a in renames] == [
            (422, {"detail": {"field": "name", "message": REFUSED}})
        ] * 2
        listed = api.get("/admin/api/v1/applications").json()["applications"]
        assert [a["name"] for a in listed] == ["User Profile", "Fine"]
        sets = api.get("/admin/api/v1/template-sets").json()["template_sets"]
        assert [s["name"] for s in sets] == ["Default", "Fine"]
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
