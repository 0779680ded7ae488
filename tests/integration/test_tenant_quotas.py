"""A tenant keeps at most 50 template sets, 100 applications and 100 API clients: one more is
refused (409 in the API, the console's form says so) and nothing is created, while another
tenant is not held back. The list of sets still says which applications use each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import ApiClient
from gatehouse.applications.models import Application
from gatehouse.mail.templates.models import TemplateSet
from tests.support.accounts import api_client, sign_in
from tests.support.delivery import onboard
from tests.support.live import LiveServer
from tests.support.pages import post_form

SETS_FULL = "A tenant has at most 50 template sets. Delete one you no longer use first."
APPS_FULL = "A tenant has at most 100 applications. Delete one you no longer use first."
CLIENTS_FULL = "A tenant has at most 100 API clients. Delete one you no longer use first."
SYSTEMS_FULL = "A tenant has at most 100 systems. Delete one you no longer use first."


def fill(live: LiveServer, tenant_id: str) -> None:
    """The tenant's 50 sets, 100 applications (half of them on set 0) and 100 API clients."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            held = await session.scalar(
                select(func.count()).where(ApiClient.tenant_id == tenant_id)
            )
            sets = [TemplateSet(tenant_id=tenant_id, name=f"Set {n}") for n in range(50)]
            session.add_all(sets)
            await session.flush()
            session.add_all(
                Application(
                    tenant_id=tenant_id,
                    id=f"app{n}",
                    name=f"App {n}",
                    home_url="https://app.example/",
                    template_set_id=sets[0].id if n % 2 else "default",
                    email_otp=False,
                )
                for n in range(100)
            )
            session.add_all(
                ApiClient(
                    id=f"client-{n:03}",
                    tenant_id=tenant_id,
                    name=f"Client {n}",
                    authorizations="read-users",
                )
                for n in range(100 - int(held or 0))
            )

    live.run(work)


def counts(live: LiveServer, tenant_id: str) -> tuple[int, ...]:
    async def read(runtime: Any) -> tuple[int, ...]:
        found = []
        async with runtime.sessions() as session:
            for model in (TemplateSet, Application, ApiClient):
                query = select(func.count()).where(model.tenant_id == tenant_id)
                found.append(int(await session.scalar(query) or 0))
        return tuple(found)

    result: tuple[int, ...] = live.run(read)
    return result


def test_a_tenant_keeps_at_most_50_sets_100_applications_and_100_api_clients(
    demo: LiveServer,
) -> None:
    caller = api_client(
        demo, Authorization.MANAGE_TENANT_CONFIGURATION, Authorization.MANAGE_APPLICATIONS
    )
    fill(demo, "demo")
    before = counts(demo, "demo")
    with demo.client(auth=caller) as api:
        new_set = api.post("/admin/api/v1/template-sets", json={"name": "One more"})
        new_app = api.post(
            "/admin/api/v1/applications",
            json={"name": "One more", "home_url": "https://more.example/"},
        )
        listed = api.get("/admin/api/v1/template-sets").json()["template_sets"]
    assert (new_set.status_code, new_set.json()) == (409, {"detail": SETS_FULL})
    assert (new_app.status_code, new_app.json()) == (409, {"detail": APPS_FULL})
    used_by = {s["name"]: len(s["used_by"]) for s in listed}
    assert len(listed) == 51 and used_by["Set 0"] == 50 and used_by["Set 1"] == 0
    assert used_by["Default"] == 51  # User Profile and the other half
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        pages = [
            post_form(admin, "/admin/email-template-sets", {"name": "One more"}),
            post_form(
                admin,
                "/admin/applications",
                {"name": "One more", "home_url": "https://more.example/"},
            ),
            post_form(
                admin,
                "/admin/administrators/systems/new",
                {"name": "One more", "expiry": "never", "authorization": "read-users"},
            ),
        ]
    assert [page.status_code for page in pages] == [409, 409, 409]
    for page, message in zip(pages, (SETS_FULL, APPS_FULL, SYSTEMS_FULL), strict=True):
        assert message in page.text
    assert counts(demo, "demo") == before == (50, 100, 100)
    demo.run(lambda runtime: onboard(runtime, "other"))
    other = api_client(demo, Authorization.MANAGE_TENANT_CONFIGURATION, tenant_id="other")
    with demo.client("other", auth=other) as api:
        assert api.post("/admin/api/v1/template-sets", json={"name": "Own"}).status_code == 201
