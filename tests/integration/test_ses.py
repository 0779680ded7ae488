"""The Amazon SES option against a local moto server: domains, addresses, delivery, failures,
and replacing the custom configuration (and back)."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import create_client
from gatehouse.audit import AuditEntry
from gatehouse.db.base import utcnow
from gatehouse.mail.models import OutboxMessage, SesDomain
from gatehouse.mail.ses_client import SES_NOT_AVAILABLE
from gatehouse.tenants.service import create_tenant
from tests.support.accounts import sign_in
from tests.support.live import LiveServer, start_live_server
from tests.support.moto_ses import PLATFORM_DOMAIN, REGION, MotoSes
from tests.support.pages import csrf_token
from tests.support.smtp_servers import Pki, SmtpServer


@pytest.fixture
def ses(demo: LiveServer, moto_ses: MotoSes) -> Iterator[MotoSes]:
    moto_ses.reset()
    yield moto_ses


@pytest.fixture
def auth(demo: LiveServer) -> tuple[str, str]:
    async def work(runtime: object) -> tuple[str, str]:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            new = await create_client(
                session,
                tenant_id="demo",
                name="ops",
                authorizations=frozenset({Authorization.MANAGE_TENANT_CONFIGURATION}),
            )
        return new.client_id, new.secret

    return demo.run(work)


@pytest.fixture
def without_ses(demo: LiveServer, tmp_path: Path) -> Iterator[LiveServer]:
    """A second live server on the demo's database, of a platform without SES."""
    settings = demo.settings.model_copy(
        update={"ses_region": "", "data_dir": tmp_path, "public_port": None, "run_worker": False}
    )
    server = start_live_server(settings)
    yield server
    server.stop()


async def other_tenant(runtime: object) -> tuple[str, str]:
    """A second tenant, "other", and its API client's ID and secret (Manage Tenant
    Configuration)."""
    async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
        await create_tenant(session, display_name="Other", tenant_id="other")
        new = await create_client(
            session,
            tenant_id="other",
            name="ops",
            authorizations=frozenset({Authorization.MANAGE_TENANT_CONFIGURATION}),
        )
    return new.client_id, new.secret


def forgot(live: LiveServer) -> None:
    with live.client() as client:
        client.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})


def wait_sent(moto: MotoSes, count: int = 1) -> list[dict[str, object]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sent = moto.sent()
        if len(sent) >= count:
            return sent
        time.sleep(0.1)
    raise AssertionError("nothing reached SES")


def outbox_statuses(live: LiveServer) -> list[tuple[str, int, str | None]]:
    async def work(runtime: object) -> list[tuple[str, int, str | None]]:
        from sqlalchemy import select

        async with runtime.sessions() as session:  # type: ignore[attr-defined]
            rows = await session.execute(
                select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    return live.run(work)


def test_reset_mail_leaves_through_ses_with_from_and_reply_to(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str]
) -> None:
    """Own domain added, verified and chosen: the reset e-mail leaves through SES as configured."""
    with demo.client() as client:
        added = client.post(
            "/admin/api/v1/mail-server/ses-domains", auth=auth, json={"domain": "Mail.Acme.test"}
        )
        assert added.status_code == 201
        assert added.json()["status"] == "pending" and added.json()["domain"] == "mail.acme.test"
        assert {
            "type": "TXT",
            "name": "mail.acme.test",
            "value": "v=spf1 include:amazonses.com ~all",
        } in added.json()["records"]
        verified = client.post(
            "/admin/api/v1/mail-server/ses-domains/mail.acme.test/verify", auth=auth
        )
        assert verified.json()["status"] == "verified"
        saved = client.put(
            "/admin/api/v1/mail-server",
            auth=auth,
            json={
                "mode": "ses",
                "from_username": "no-reply",
                "from_domain": "mail.acme.test",
                "reply_to_username": "help",
                "reply_to_domain": PLATFORM_DOMAIN,
            },
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["mode"] == "ses"
        assert saved.json()["from_username"] == "no-reply"
        assert saved.json()["reply_to_domain"] == PLATFORM_DOMAIN
    forgot(demo)
    [raw] = wait_sent(ses)
    assert raw["source"] == "no-reply@mail.acme.test"
    message = email.message_from_string(str(raw["raw_data"]), policy=email.policy.default)
    assert message["From"] == "no-reply@mail.acme.test"
    assert message["Reply-To"] == f"help@{PLATFORM_DOMAIN}"
    assert "reset-password?token=" in str(raw["raw_data"])
    assert demo.devmail.mailbox.messages() == []  # nothing through the default server


def test_unverified_domain_cannot_be_chosen(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str]
) -> None:
    """A pending domain is refused for From, naming the field; nothing is stored."""
    with demo.client() as client:
        client.post("/admin/api/v1/mail-server/ses-domains", auth=auth, json={"domain": "a.test"})
        refused = client.put(
            "/admin/api/v1/mail-server",
            auth=auth,
            json={"mode": "ses", "from_username": "x", "from_domain": "a.test"},
        )
        current = client.get("/admin/api/v1/mail-server", auth=auth).json()
    assert refused.status_code == 422
    assert refused.json()["detail"] == {
        "field": "from_domain",
        "message": "Choose the platform's domain or one of your verified domains, not 'a.test'.",
    }
    assert current["mode"] == "default"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"from_username": "a b", "from_domain": PLATFORM_DOMAIN},
            "from_username",
            "The user name may contain only the letters A-Z and a-z, digits and "
            "! # $ % & ' * + - / = ? ^ _ ` { | } ~ (1 to 64 characters) (not allowed: space).",
        ),
        (
            {"from_username": "ok", "from_domain": PLATFORM_DOMAIN, "reply_to_username": "x"},
            "reply_to_domain",
            "Give both the user name and the domain of Reply to.",
        ),
    ],
)
def test_address_rules_name_the_field(
    demo: LiveServer,
    ses: MotoSes,
    auth: tuple[str, str],
    body: dict[str, str],
    field: str,
    message: str,
) -> None:
    """User name characters and incomplete Reply to are refused by field."""
    with demo.client() as client:
        refused = client.put("/admin/api/v1/mail-server", auth=auth, json={"mode": "ses", **body})
    assert refused.status_code == 422
    assert refused.json()["detail"] == {"field": field, "message": message}


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        (
            "-bad.test",
            "The label '-bad' of '-bad.test' is not valid: labels have letters, digits "
            "and hyphens, and do not start or end with a hyphen.",
        ),
        ("localhost", "'localhost' is not a domain name such as example.com."),
    ],
)
def test_domain_rules(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str], domain: str, message: str
) -> None:
    """Domain labels follow the reference's rules; each violation is named."""
    with demo.client() as client:
        refused = client.post(
            "/admin/api/v1/mail-server/ses-domains", auth=auth, json={"domain": domain}
        )
    assert refused.status_code == 422
    assert refused.json()["detail"] == {"field": "domain", "message": message}


def test_a_refused_domain_stays_in_the_console_box(demo: LiveServer, ses: MotoSes) -> None:
    """Add Domain refused in the console: the page says why and the box keeps what was typed,
    marked, to correct (it came back empty)."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        page = client.get("/admin/tenant-settings/mail-server?tab=ses")
        refused = client.post(
            "/admin/tenant-settings/mail-server/ses/domains",
            data={"csrf_token": csrf_token(page), "domain": "mail.acme-.test"},
        )
    assert refused.status_code == 422
    assert (
        "Domain: The label &#39;acme-&#39; of &#39;mail.acme-.test&#39; is not valid"
        in refused.text
    )
    assert (
        '<input id="domain" name="domain" aria-invalid="true" aria-describedby="page-error" '
        'type="text" maxlength="253" value="mail.acme-.test"' in refused.text
    )


def test_a_domain_registered_already_is_named_in_the_console(
    demo: LiveServer, ses: MotoSes
) -> None:
    """Add Domain of a registered domain names the field, as the other refusals do; the list
    of domains says how long an unverified one stays the tenant's."""
    with demo.client() as client:
        sign_in(client, "admin@demo.test")
        added, pages = [], []
        for _ in range(2):
            page = client.get("/admin/tenant-settings/mail-server?tab=ses")
            pages.append(page)
            added.append(
                client.post(
                    "/admin/tenant-settings/mail-server/ses/domains",
                    data={"csrf_token": csrf_token(page), "domain": "acme.test"},
                )
            )
    assert [a.status_code for a in added] == [303, 422]
    assert "Domain: The domain acme.test is already registered." in added[1].text
    hint = (
        '<p class="hint">Publish a domain&#39;s DNS records and verify it within 72 hours of '
        "adding it: after that, another tenant may register it.</p>"
    )
    assert hint in added[1].text and hint not in pages[0].text  # for a domain not yet verified
    assert (
        'aria-invalid="true" aria-describedby="page-error" type="text" maxlength="253" '
        'value="acme.test"' in added[1].text
    )


def test_at_most_two_domains_and_one_owner(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str]
) -> None:
    """A third domain is refused; a domain already registered cannot be added again: 422 naming
    the field, as a taken template set or application name is."""
    with demo.client() as client:
        for domain in ("one.test", "two.test"):
            assert (
                client.post(
                    "/admin/api/v1/mail-server/ses-domains", auth=auth, json={"domain": domain}
                ).status_code
                == 201
            )
        third = client.post(
            "/admin/api/v1/mail-server/ses-domains", auth=auth, json={"domain": "three.test"}
        )
        client.delete("/admin/api/v1/mail-server/ses-domains/two.test", auth=auth)
        again = client.post(
            "/admin/api/v1/mail-server/ses-domains", auth=auth, json={"domain": "one.test"}
        )
    assert third.json()["detail"] == {
        "field": "domain",
        "message": "A tenant can have at most 2 domains.",
    }
    assert (again.status_code, again.json()["detail"]) == (
        422,
        {"field": "domain", "message": "The domain one.test is already registered."},
    )


def test_a_domain_and_its_subdomains_belong_to_one_tenant(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str]
) -> None:
    """SES lets a verified domain's subdomains send too, on the account all tenants share: a
    parent or a subdomain of another tenant's domain, or a subdomain of the platform's, is
    refused; the tenant's own subdomain is not."""

    domains = "/admin/api/v1/mail-server/ses-domains"
    other_auth = demo.run(other_tenant)
    with demo.client() as client:
        assert client.post(domains, auth=auth, json={"domain": "acme.test"}).status_code == 201
        own = client.post(domains, auth=auth, json={"domain": "mail.acme.test"})
    with demo.client("other") as client:
        answers = [
            client.post(domains, auth=other_auth, json={"domain": name})
            for name in ("x.mail.acme.test", "news.acme.test", f"x.{PLATFORM_DOMAIN}")
        ]
        mine = client.post(domains, auth=other_auth, json={"domain": "other.test"})
    assert own.status_code == 201 and mine.status_code == 201
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert answers[0].json()["detail"] == {
        "field": "domain",
        "message": "The domain x.mail.acme.test overlaps mail.acme.test, which another tenant "
        "registered: a domain and its subdomains belong to one tenant.",
    }
    assert answers[1].json()["detail"] == {
        "field": "domain",
        "message": "The domain news.acme.test overlaps acme.test, which another tenant "
        "registered: a domain and its subdomains belong to one tenant.",
    }
    assert answers[2].json()["detail"] == {
        "field": "domain",
        "message": "This is under the platform's domain, which no tenant can register.",
    }


def test_a_domain_not_verified_in_time_is_released_to_another_tenant(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str]
) -> None:
    """A domain left unverified for 72 hours no longer keeps other tenants from it (a tenant
    could register a company's domain first and keep it from that company for good): the next
    tenant to add it, or a parent of it, takes it, and the first tenant's log says so without
    naming the other. A domain within its 72 hours still belongs to the first tenant."""

    async def age(runtime: object) -> None:
        async with runtime.sessions.begin() as session:  # type: ignore[attr-defined]
            await session.execute(
                update(SesDomain)
                .where(SesDomain.domain.in_(["squat.test", "mail.corp.test"]))
                .values(created_at=utcnow() - timedelta(hours=73))
            )

    async def releases(runtime: object) -> list[tuple[str, str, dict[str, str]]]:
        async with runtime.sessions() as session:  # type: ignore[attr-defined]
            rows = await session.execute(
                select(AuditEntry.actor, AuditEntry.action, AuditEntry.changes)
                .where(AuditEntry.tenant_id == "demo", AuditEntry.resource == "ses-domain")
                .where(AuditEntry.action == "release")
                .order_by(AuditEntry.at)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    domains = "/admin/api/v1/mail-server/ses-domains"
    other_auth = demo.run(other_tenant)
    with demo.client() as client:
        for name in ("squat.test", "mail.corp.test"):
            assert client.post(domains, auth=auth, json={"domain": name}).status_code == 201
    with demo.client("other") as client:
        too_early = client.post(domains, auth=other_auth, json={"domain": "squat.test"})
        demo.run(age)
        taken = [
            client.post(domains, auth=other_auth, json={"domain": name})
            for name in ("squat.test", "corp.test")
        ]
    with demo.client() as client:
        left = client.get(domains, auth=auth).json()
    assert (too_early.status_code, too_early.json()["detail"]) == (
        422,
        {"field": "domain", "message": "The domain squat.test is already registered."},
    )
    assert [t.status_code for t in taken] == [201, 201]
    assert left["domains"] == []
    reason = "Not verified within 72 hours; another tenant registered it."
    assert demo.run(releases) == [
        ("platform", "release", {"domain": "squat.test", "reason": reason}),
        ("platform", "release", {"domain": "mail.corp.test", "reason": reason}),
    ]


def test_rejected_message_fails_with_reason_without_retry(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str]
) -> None:
    """When SES rejects the sender, the e-mail fails at once with SES's reason."""
    with demo.client() as client:
        client.post(
            "/admin/api/v1/mail-server/ses-domains", auth=auth, json={"domain": "gone.test"}
        )
        client.post("/admin/api/v1/mail-server/ses-domains/gone.test/verify", auth=auth)
        client.put(
            "/admin/api/v1/mail-server",
            auth=auth,
            json={"mode": "ses", "from_username": "x", "from_domain": "gone.test"},
        )
    ses.client().delete_email_identity(EmailIdentity="gone.test")  # the platform lost it
    forgot(demo)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and outbox_statuses(demo)[0][0] in ("queued", "sending"):
        time.sleep(0.1)
    [(status, attempts, error)] = outbox_statuses(demo)
    assert (status, attempts) == ("failed", 1)
    assert error == (
        "ses: Amazon SES refused the request (MessageRejected): "
        "Did not have authority to send from email x@gone.test"
    )
    assert ses.sent() == [] and demo.devmail.mailbox.messages() == []
    # The console names the step as it names the SMTP ones, not by its stored key ("ses: ...").
    with demo.client() as client:
        [message] = client.get("/admin/api/v1/messages", auth=auth).json()["messages"]
        sign_in(client, "admin@demo.test")
        listing = client.get("/admin/tenant-settings/mail-delivery").text
        timeline = client.get(f"/admin/tenant-settings/mail-delivery/{message['id']}").text
    shown = (
        "Amazon SES: Amazon SES refused the request (MessageRejected): "
        "Did not have authority to send from email x@gone.test"
    )
    assert shown in listing and shown in timeline
    assert "Step: Amazon SES" in timeline and "ses:" not in listing + timeline
    assert f" · Amazon SES {REGION}" in timeline and "SES Amazon SES" not in timeline


def test_switching_between_custom_and_ses_replaces_the_other(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str], smtp_pki: Pki
) -> None:
    """Saving SES replaces a custom configuration and vice versa; one configuration remains."""
    with SmtpServer(smtp_pki, security="ssl") as server, demo.client() as client:
        custom = {
            "mode": "custom",
            "host": "localhost",
            "port": server.port,
            "security": "ssl",
            "authentication": "none",
            "sender_email": "it@demo.test",
        }
        assert client.put("/admin/api/v1/mail-server", auth=auth, json=custom).status_code == 200
        to_ses = client.put(
            "/admin/api/v1/mail-server",
            auth=auth,
            json={"mode": "ses", "from_username": "hello", "from_domain": PLATFORM_DOMAIN},
        )
        assert to_ses.json()["mode"] == "ses" and to_ses.json()["host"] is None
        forgot(demo)
        [raw] = wait_sent(ses)
        assert raw["source"] == f"hello@{PLATFORM_DOMAIN}"
        back = client.put("/admin/api/v1/mail-server", auth=auth, json=custom)
        assert back.json()["mode"] == "custom" and back.json()["from_username"] is None
        changes = client.get("/admin/api/v1/mail-server/changes", auth=auth).json()["changes"]
    assert [c["changes"]["mode"] for c in changes][:3] == ["custom", "ses", "custom"]


def test_ses_saves_log_what_changed_and_nothing_when_nothing_did(
    demo: LiveServer, ses: MotoSes, auth: tuple[str, str]
) -> None:
    """As a custom server's: the mode only when it changed, a new Reply to alone, and no entry
    for a save that changes nothing."""
    first = {"mode": "ses", "from_username": "hello", "from_domain": PLATFORM_DOMAIN}
    reply = {"reply_to_username": "help", "reply_to_domain": PLATFORM_DOMAIN}
    with demo.client(auth=auth) as client:
        for body in (first, first, {**first, **reply}):
            assert client.put("/admin/api/v1/mail-server", json=body).status_code == 200
        changes = client.get("/admin/api/v1/mail-server/changes").json()["changes"]
    assert [(c["action"], c["changes"]) for c in changes] == [
        ("update", {"reply_to": f"help@{PLATFORM_DOMAIN}"}),
        (
            "create",
            {"mode": "ses", "sender_email": f"hello@{PLATFORM_DOMAIN}", "reply_to": None},
        ),
    ]


def test_ses_domains_are_409_where_ses_is_not_available(
    without_ses: LiveServer, auth: tuple[str, str]
) -> None:
    """Without SES on the platform every ses-domains call is 409 with the message, naming no
    field (a GET sends none); choosing SES in mail-server names the mode it sent."""
    domains = "/admin/api/v1/mail-server/ses-domains"
    with without_ses.client(auth=auth) as client:
        answers = [
            client.get(domains),
            client.post(domains, json={"domain": "mail.acme.test"}),
            client.post(f"{domains}/mail.acme.test/verify"),
            client.delete(f"{domains}/mail.acme.test"),
        ]
        chosen = client.put(
            "/admin/api/v1/mail-server",
            json={"mode": "ses", "from_username": "x", "from_domain": PLATFORM_DOMAIN},
        )
    unavailable = (409, {"detail": SES_NOT_AVAILABLE})
    assert [(a.status_code, a.json()) for a in answers] == [unavailable] * 4
    assert (chosen.status_code, chosen.json()) == (
        422,
        {"detail": {"field": "mode", "message": SES_NOT_AVAILABLE}},
    )
