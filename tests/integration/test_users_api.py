"""``/admin/api/v1/users``: lookup by e-mail, password details, Reset Counter and Send Reset
Password Email; authorizations (403), tenant scoping (404) and inactive users (409)."""

from __future__ import annotations

from sqlalchemy import select

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.mail.models import OutboxMessage
from gatehouse.processes.email_limit import USER_AT_LIMIT
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.web.api.users import EMAIL_OR_SEARCH
from tests.support.accounts import (
    JANE,
    add_user,
    api_client,
    forgot,
    user_id_of,
)
from tests.support.live import LiveServer

INACTIVE = "The user is inactive. Activate the user first."


def test_lookup_by_email_and_search(demo: LiveServer) -> None:
    """``?email=`` finds exactly that user; without it the tenant's users come 20 per page."""
    for n in range(21):
        add_user(demo, f"bulk{n:02d}@demo.test")
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        one = api.get("/admin/api/v1/users", params={"email": "JANE@demo.test"}).json()
        none = api.get("/admin/api/v1/users", params={"email": "nobody@demo.test"}).json()
        first = api.get("/admin/api/v1/users").json()
        second = api.get("/admin/api/v1/users", params={"page": 2}).json()
        beyond = api.get("/admin/api/v1/users", params={"page": 3}).json()
        search = api.get("/admin/api/v1/users", params={"search": "bulk1"}).json()
    assert [u["email"] for u in one["users"]] == [JANE]
    assert set(one["users"][0]) >= {"id", "email", "status", "login_name", "created_at"}
    assert none["users"] == []
    assert (first["total"], first["pages"], len(first["users"])) == (23, 2, 20)
    assert len(second["users"]) == 3
    assert beyond == {"users": [], "total": 23, "page": 3, "pages": 2}  # a loop until empty ends
    assert {u["email"] for u in search["users"]} == {f"bulk1{n}@demo.test" for n in range(10)}


def test_empty_email_filter_lists_every_user(demo: LiveServer) -> None:
    """``?email=`` left empty (or blank) is no filter, as an empty ``search`` is: every user,
    not none."""
    add_user(demo, "bulk@demo.test")
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        unfiltered = api.get("/admin/api/v1/users").json()
        answers = [
            api.get("/admin/api/v1/users", params=params).json()
            for params in ({"email": ""}, {"email": "  "}, {"email": "", "search": ""})
        ]
        searched = api.get("/admin/api/v1/users", params={"email": "", "search": "bulk"}).json()
    assert {JANE, "bulk@demo.test"} <= {u["email"] for u in unfiltered["users"]}
    assert answers == [unfiltered] * 3
    assert [u["email"] for u in searched["users"]] == ["bulk@demo.test"]


def test_email_lookup_is_one_page_and_not_combined_with_search(demo: LiveServer) -> None:
    """``?email=`` with a ``search`` is refused naming search (it ignored the search); a page
    past the first is empty, as past the end of any list (it answered page 1 again)."""
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        both = api.get("/admin/api/v1/users", params={"email": JANE, "search": "nobody"})
        second = api.get("/admin/api/v1/users", params={"email": JANE, "page": 2}).json()
    assert (both.status_code, both.json()) == (
        422,
        {"detail": {"field": "search", "message": EMAIL_OR_SEARCH}},
    )
    assert second == {"users": [], "total": 1, "page": 2, "pages": 1}


def test_schema_refusals_name_the_field_in_words(demo: LiveServer) -> None:
    """Refusals by the request's schema say what the field must be in the service's words,
    naming it, not pydantic's ("String should have at most 254 characters")."""
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        long_search = api.get("/admin/api/v1/users", params={"search": "x" * 101})
        page_zero = api.get("/admin/api/v1/users", params={"page": 0})
        page_word = api.get("/admin/api/v1/users", params={"page": "two"})
    assert [a.json()["detail"] for a in (long_search, page_zero, page_word)] == [
        {"field": "search", "message": "The search must be at most 100 characters."},
        {"field": "page", "message": "The page must be 1 or more."},
        {"field": "page", "message": "The page must be a whole number."},
    ]


def test_search_finds_names_beyond_ascii_in_either_case(demo: LiveServer) -> None:
    """``?search=`` shares the console's search: "östlund" and "ÖSTLUND" find "Östlund",
    "WEISS" finds "Weiß"."""
    add_user(demo, "asa@demo.test", first_name="Åsa", last_name="Östlund")
    add_user(demo, "jurgen@demo.test", first_name="Jürgen", last_name="Weiß")
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        found = {
            q: api.get("/admin/api/v1/users", params={"search": q}).json()
            for q in ("östlund", "ÖSTLUND", "WEISS")
        }
    for q, answer in found.items():
        expected = "jurgen@demo.test" if q == "WEISS" else "asa@demo.test"
        assert ([u["email"] for u in answer["users"]], answer["total"]) == ([expected], 1), q


def test_read_users_reads_but_cannot_reset(demo: LiveServer) -> None:
    """A Read Users client sees password details; Reset Counter answers 403."""
    jane = user_id_of(demo, JANE)
    with demo.client(auth=api_client(demo, Authorization.READ_USERS)) as api:
        details = api.get(f"/admin/api/v1/users/{jane}/password-details")
        reset = api.post(f"/admin/api/v1/users/{jane}/password-details/reset-counter")
    assert details.status_code == 200 and details.json()["password_reset"]["count"] == 0
    assert reset.status_code == 403
    assert reset.json() == {
        "detail": "This client lacks the authorization this endpoint needs: manage-users."
    }


def test_client_without_user_authorizations_is_refused(demo: LiveServer) -> None:
    """A client holding only Manage Tenant Configuration cannot read users."""
    with demo.client(auth=api_client(demo, Authorization.MANAGE_TENANT_CONFIGURATION)) as api:
        assert api.get("/admin/api/v1/users").status_code == 403


def test_users_of_another_tenant_are_not_found(demo: LiveServer) -> None:
    """A demo client asking for another tenant's user gets 404, and e-mail lookup finds none."""

    async def seed(runtime: object) -> str:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            new = await onboard_tenant(
                session,
                settings=demo.settings,
                display_name="Other",
                admin_email="o@other.test",
                tenant_id="other",
                admin_password="Other-Admin-1",
            )
            return new.admin.id

    other_admin = demo.run(seed)
    with demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api:
        details = api.get(f"/admin/api/v1/users/{other_admin}/password-details")
        reset = api.post(f"/admin/api/v1/users/{other_admin}/password-details/reset-counter")
        found = api.get("/admin/api/v1/users", params={"email": "o@other.test"}).json()
    assert details.status_code == reset.status_code == 404
    assert details.json() == {"detail": "There is no such user in this tenant."}
    assert found["users"] == []


def test_inactive_user_reset_counter_is_409(demo: LiveServer) -> None:
    """Reset Counter and Send Reset Password Email refuse an inactive user with a message."""
    gone = add_user(demo, "gone@demo.test", status="inactive")
    with demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api:
        reset = api.post(f"/admin/api/v1/users/{gone}/password-details/reset-counter")
        send = api.post(f"/admin/api/v1/users/{gone}/password-details/send-reset-email")
        details = api.get(f"/admin/api/v1/users/{gone}/password-details")
    assert reset.status_code == send.status_code == 409
    assert reset.json() == send.json() == {"detail": INACTIVE}
    assert details.status_code == 200 and details.json()["status"] == "inactive"


def test_send_reset_email_is_counted_by_the_limit(demo: LiveServer) -> None:
    """The administrator's Reset Password e-mail arrives and counts; at the limit it is not
    sent and the answer says why."""
    jane = user_id_of(demo, JANE)
    forgot(demo, JANE)
    forgot(demo, JANE)
    with demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api:
        sent = api.post(f"/admin/api/v1/users/{jane}/password-details/send-reset-email")
        refused = api.post(f"/admin/api/v1/users/{jane}/password-details/send-reset-email")
        count = api.get(f"/admin/api/v1/users/{jane}/password-details").json()
    assert sent.json() == {"result": "queued", "message": "The Reset Password e-mail is queued."}
    assert refused.json() == {"result": "limit-reached", "message": USER_AT_LIMIT}
    assert count["password_reset"]["count"] == 3 and count["password_reset"]["refused"] == 1
    mails = demo.wait_for_mail(lambda m: m.rcpt_to == [JANE], count=3)
    assert all("/reset-password?token=" in m.text for m in mails)
    assert demo.run(sent_processes) == ["forgot-password", "forgot-password", "reset-password"]


async def sent_processes(runtime: object) -> list[str]:
    async with runtime.sessions() as session:  # type: ignore[attr-defined]
        rows = await session.scalars(
            select(OutboxMessage.process)
            .where(OutboxMessage.status == "sent")
            .order_by(OutboxMessage.created_at)
        )
        return list(rows.all())


def test_reset_counter_is_in_the_change_log(demo: LiveServer) -> None:
    """Reset Counter records who reset whose counter, and the count before."""
    jane = user_id_of(demo, JANE)
    for _ in range(2):
        forgot(demo, JANE)
    auth = api_client(demo, Authorization.MANAGE_USERS)
    with demo.client(auth=auth) as api:
        api.post(f"/admin/api/v1/users/{jane}/password-details/reset-counter")

    async def log(runtime: object) -> list[tuple[str, str, dict[str, object]]]:
        async with runtime.sessions() as session:  # type: ignore[attr-defined]
            rows = await audit.entries(session, tenant_id="demo", resource=f"user:{jane}")
            return [(r.actor, r.action, r.changes) for r in rows]

    assert demo.run(log) == [
        (
            f"client:{auth[0]} (tests)",
            "update",
            {"password_reset_count": 0, "previous_count": 2},
        )
    ]


def test_changes_a_browser_sends_for_another_site_are_refused(demo: LiveServer) -> None:
    """A browser keeps Basic credentials once typed into its prompt and sends them with any
    request to the host, also one another site's page (or another tenant's) makes it send: a
    changing request the browser marks so is 403 before anything is done. Reading, and the
    same request from the API's own page or from a program, still work."""
    jane = user_id_of(demo, JANE)
    reset = f"/admin/api/v1/users/{jane}/password-details/reset-counter"
    forgot(demo, JANE)
    with demo.client(auth=api_client(demo, Authorization.MANAGE_USERS)) as api:
        refused = [
            api.post(reset, headers=headers)
            for headers in (
                {"sec-fetch-site": "cross-site"},
                {"sec-fetch-site": "same-site", "origin": f"http://other.localhost:{demo.port}"},
                {"origin": "https://attacker.example"},
                {"origin": "null"},
            )
        ]
        count = api.get(f"{reset.rsplit('/', 1)[0]}", headers={"sec-fetch-site": "cross-site"})
        own_page = api.post(
            reset,
            headers={
                "sec-fetch-site": "same-origin",
                "origin": f"http://demo.localhost:{demo.port}",
            },
        )
        program = api.post(reset)
    assert [r.status_code for r in refused] == [403] * 4
    assert refused[0].json() == {
        "detail": "The API does not take changes sent by another site's page."
    }
    assert count.json()["password_reset"]["count"] == 1  # read, and nothing was reset
    assert own_page.status_code == program.status_code == 200
