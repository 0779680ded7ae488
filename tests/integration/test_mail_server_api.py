"""The custom mail server through the REST API against real aiosmtpd servers with trustme
certificates: save, each probe diagnosis, field errors, write-only password, change log,
isolation, and every e-mail of the tenant going through the configured server at once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.clients import NewClient, create_client
from gatehouse.errors import DeliveryError
from gatehouse.mail.config import PASSWORD_REBIND
from gatehouse.mail.configure import save_custom
from gatehouse.mail.diagnosis import (
    AUTH_FAILED,
    CONNECT_REFUSED,
    GREETING_TIMEOUT_STARTTLS,
    REPLY_PERMANENT,
    STARTTLS_NOT_OFFERED,
    TLS_EXPIRED,
    TLS_NOT_TLS,
    TLS_UNTRUSTED,
    TLS_WRONG_HOST,
)
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.netguard import NOT_FOUND_OR_PRIVATE, PRIVATE_LITERAL
from gatehouse.mail.probe import PROBE_PASSED
from gatehouse.processes.models import ClientAttempt
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.runtime import build_runtime
from gatehouse.web.api.app import BODY_NOT_OBJECT
from gatehouse.web.api.auth import BAD_CREDENTIALS, FORBIDDEN
from gatehouse.web.app import NUL_REFUSED
from tests.support.accounts import sign_in
from tests.support.live import LiveServer, run_in_thread
from tests.support.pages import csrf_token
from tests.support.smtp_servers import (
    IGNORE_IMPLICIT_TLS_AUTH_WARNING,
    UNTRUSTED_ISSUER,
    WRONG_NAMES,
    Pki,
    ReceivedMessage,
    ScriptedHandler,
    SmtpServer,
    free_port,
)

pytestmark = pytest.mark.filterwarnings(IGNORE_IMPLICIT_TLS_AUTH_WARNING)

API = "/admin/api/v1/mail-server"
USER = "mailer"
PASSWORD = "Corr3ct-Horse-Battery!"
SENDER = "no-reply@acme.example"
SENDER_NAME = "Acme Support"
REPLY_TO = "help@acme.example"
REPLY_535 = "535 5.7.8 Authentication credentials invalid"
DEFAULT_VIEW = {
    "mode": "default",
    "host": None,
    "port": None,
    "security": None,
    "authentication": None,
    "username": None,
    "password_set": False,
    "sender_email": None,
    "sender_name": None,
    "reply_to": None,
    "rate_limit_per_minute": None,
    "updated_at": None,
    "updated_by": None,
}
DEFAULT_FROM = "Gatehouse <no-reply@gatehouse.localhost>"
NOTHING_STORED: tuple[dict[str, Any], list[dict[str, Any]]] = (DEFAULT_VIEW, [])


@dataclass(frozen=True)
class Api:
    """An API client of one tenant: its credentials and how the change log names it."""

    tenant_id: str
    credentials: NewClient
    name: str

    @property
    def actor(self) -> str:
        return f"client:{self.credentials.client_id} ({self.name})"

    def client(self, live: LiveServer, tenant_id: str | None = None) -> httpx.Client:
        """An httpx client on ``tenant_id``'s host (default: its own) with these credentials."""
        auth = (self.credentials.client_id, self.credentials.secret)
        return live.client(tenant_id or self.tenant_id, auth=auth)


def make_client(live: LiveServer, tenant_id: str, name: str, *authorizations: Authorization) -> Api:
    async def work(runtime: Any) -> NewClient:
        async with runtime.sessions.begin() as session:
            return await create_client(
                session, tenant_id=tenant_id, name=name, authorizations=frozenset(authorizations)
            )

    return Api(tenant_id, live.run(work), name)


@pytest.fixture
def admin(demo: LiveServer) -> Api:
    """An API client of the demo tenant holding Manage Tenant Configuration."""
    return make_client(demo, "demo", "ci", Authorization.MANAGE_TENANT_CONFIGURATION)


@pytest.fixture
def api(demo: LiveServer, admin: Api) -> Iterator[httpx.Client]:
    with admin.client(demo) as client:
        yield client


@pytest.fixture
def ssl_server(smtp_pki: Pki) -> Iterator[SmtpServer]:
    """Implicit TLS, certificate from the trusted test CA, login required."""
    with SmtpServer(smtp_pki, security="ssl", credentials=(USER, PASSWORD)) as server:
        yield server


@pytest.fixture
def starttls_server(smtp_pki: Pki) -> Iterator[SmtpServer]:
    """Required STARTTLS, certificate from the trusted test CA, login required."""
    with SmtpServer(smtp_pki, security="starttls", credentials=(USER, PASSWORD)) as server:
        yield server


def config_for(server: SmtpServer, **overrides: Any) -> dict[str, Any]:
    """A PUT body pointing at ``server`` by the host name its certificate is valid for."""
    body: dict[str, Any] = {
        "host": "localhost",
        "port": server.port,
        "security": "starttls" if server.security == "none" else server.security,
        "authentication": "password",
        "username": USER,
        "password": PASSWORD,
        "sender_email": SENDER,
        "sender_name": SENDER_NAME,
        "reply_to": REPLY_TO,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def saved_view(body: dict[str, Any], actor: str) -> dict[str, Any]:
    """What GET shows for a stored ``body`` (timestamps aside)."""
    login = body.get("authentication", "password") == "password"
    return {
        "mode": "custom",
        "host": body["host"],
        "port": body["port"],
        "security": body["security"],
        "authentication": body.get("authentication", "password"),
        "username": body.get("username") if login else None,
        "password_set": login,
        "sender_email": body["sender_email"],
        "sender_name": body.get("sender_name", ""),
        "reply_to": body.get("reply_to"),
        "rate_limit_per_minute": body.get("rate_limit_per_minute"),
        "updated_by": actor,
    }


def custom_fields(view: dict[str, Any]) -> dict[str, Any]:
    """The view's custom-server fields (other options, such as SES, add fields of their own)."""
    return {k: view.get(k) for k in DEFAULT_VIEW}


def without_time(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in custom_fields(view).items() if k != "updated_at"}


def state(client: httpx.Client) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The configuration in force (its custom-server fields) and the change log."""
    current, changes = client.get(API), client.get(f"{API}/changes")
    assert current.status_code == changes.status_code == 200
    return custom_fields(current.json()), changes.json()["changes"]


def assert_probe_refused(
    client: httpx.Client,
    body: dict[str, Any],
    *,
    step: str,
    message: str,
    before: tuple[dict[str, Any], list[dict[str, Any]]] | None = None,
) -> None:
    """PUT answers 422 with the step and exact message, and nothing at all changed (compared
    with ``before``, or with what GET showed just before the PUT)."""
    before = before or state(client)
    response = client.put(API, json=body)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": {"step": step, "message": message}}
    assert state(client) == before


def assert_field_refused(
    client: httpx.Client, body: dict[str, Any], *, field: str, message: str
) -> None:
    """PUT answers 422 naming the field with the exact message (callers check nothing changed)."""
    response = client.put(API, json=body)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": {"field": field, "message": message}}


# --- saving ---------------------------------------------------------------------------------


def test_implicit_tls_with_login_saves(
    demo: LiveServer, api: httpx.Client, admin: Api, ssl_server: SmtpServer
) -> None:
    """A trusted implicit-TLS server with a correct login is stored and shown by GET."""
    assert state(api) == NOTHING_STORED
    body = config_for(ssl_server, rate_limit_per_minute=120)
    response = api.put(API, json=body)
    assert response.status_code == 200, response.text
    assert without_time(response.json()) == saved_view(body, admin.actor)
    current, changes = state(api)
    assert current == custom_fields(response.json())
    assert [(c["action"], c["actor"]) for c in changes] == [("create", admin.actor)]


def test_starttls_with_login_saves(
    demo: LiveServer, api: httpx.Client, admin: Api, starttls_server: SmtpServer
) -> None:
    """A trusted server with required STARTTLS and a correct login is stored."""
    body = config_for(starttls_server)
    response = api.put(API, json=body)
    assert response.status_code == 200, response.text
    assert without_time(api.get(API).json()) == saved_view(body, admin.actor)


def test_relay_without_login_saves(
    demo: LiveServer, api: httpx.Client, admin: Api, smtp_pki: Pki
) -> None:
    """A relay that needs no login is stored with authentication none and no password."""
    with SmtpServer(smtp_pki, security="starttls") as relay:
        body = config_for(relay, authentication="none", username=..., password=...)
        response = api.put(API, json=body)
    assert response.status_code == 200, response.text
    view = api.get(API).json()
    assert without_time(view) == saved_view(body, admin.actor)
    assert (view["username"], view["password_set"]) == (None, False)


def test_test_endpoint_probes_without_storing(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """POST /mail-server/test reports every passed step and stores nothing, pass or fail."""
    passed = api.post(f"{API}/test", json=config_for(ssl_server))
    assert passed.status_code == 200, passed.text
    answer = passed.json()
    steps = ["dns", "connect", "tls", "ehlo", "auth", "mail", "quit"]
    assert (answer["result"], answer["steps"]) == ("passed", steps)
    label = f"localhost:{ssl_server.port}"
    assert answer["message"] in {
        PROBE_PASSED.format(label=label, steps=", ".join(steps), tls_version=version)
        for version in ("TLSv1.2", "TLSv1.3")
    }
    failed = api.post(f"{API}/test", json=config_for(ssl_server, password="wrong-" + PASSWORD))
    assert failed.status_code == 422
    assert failed.json()["detail"]["step"] == "auth"
    assert state(api) == NOTHING_STORED


# --- one test per diagnosis: 422, exact message, nothing stored ----------------------------


def test_untrusted_issuer_is_refused(demo: LiveServer, api: httpx.Client, smtp_pki: Pki) -> None:
    """A certificate from a CA the platform does not trust is refused naming the issuer."""
    with SmtpServer(smtp_pki, security="ssl", cert="untrusted") as server:
        assert_probe_refused(
            api,
            config_for(server, authentication="none"),
            step="tls",
            message=TLS_UNTRUSTED.format(issuer=UNTRUSTED_ISSUER),
            before=NOTHING_STORED,
        )


def test_expired_certificate_is_refused(demo: LiveServer, api: httpx.Client, smtp_pki: Pki) -> None:
    """An expired certificate is refused with its expiry date."""
    with SmtpServer(smtp_pki, security="starttls", cert="expired") as server:
        assert_probe_refused(
            api,
            config_for(server, authentication="none"),
            step="tls",
            message=TLS_EXPIRED.format(date="2021-06-30 12:00 UTC"),
            before=NOTHING_STORED,
        )


def test_wrong_host_name_is_refused(demo: LiveServer, api: httpx.Client, smtp_pki: Pki) -> None:
    """A certificate for other names is refused listing the names it is valid for."""
    with SmtpServer(smtp_pki, security="ssl", cert="wrong_name") as server:
        assert_probe_refused(
            api,
            config_for(server),
            step="tls",
            message=TLS_WRONG_HOST.format(host="localhost", names=", ".join(WRONG_NAMES)),
            before=NOTHING_STORED,
        )


def test_no_starttls_offered_is_refused(demo: LiveServer, api: httpx.Client, smtp_pki: Pki) -> None:
    """A server without STARTTLS is refused; no login or mail command is ever sent to it."""
    handler = ScriptedHandler()
    with SmtpServer(smtp_pki, security="none", handler=handler) as server:
        assert_probe_refused(
            api,
            config_for(server),
            step="starttls",
            message=STARTTLS_NOT_OFFERED,
            before=NOTHING_STORED,
        )
    assert handler.commands == []


def test_plaintext_server_on_implicit_tls_port_is_refused(
    demo: LiveServer, api: httpx.Client, starttls_server: SmtpServer
) -> None:
    """SSL/TLS chosen for a server that greets in plain text is refused with a STARTTLS hint."""
    body = config_for(starttls_server, security="ssl")
    assert_probe_refused(api, body, step="tls", message=TLS_NOT_TLS, before=NOTHING_STORED)


def test_starttls_against_implicit_tls_port_is_refused(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """STARTTLS chosen for an implicit-TLS server times out on the greeting; hint SSL/TLS."""
    assert demo.settings.smtp_connect_timeout <= 5  # this test waits that long
    body = config_for(ssl_server, security="starttls")
    label = f"localhost:{ssl_server.port}"
    message = GREETING_TIMEOUT_STARTTLS.format(label=label)
    assert_probe_refused(api, body, step="connect", message=message, before=NOTHING_STORED)


def test_server_silent_at_ehlo_is_refused_at_ehlo(
    demo: LiveServer, api: httpx.Client, smtp_pki: Pki
) -> None:
    """A STARTTLS server that greets but never answers EHLO is refused naming EHLO, the step
    that got no reply (not the STARTTLS after it)."""
    assert demo.settings.smtp_connect_timeout <= 5  # this test waits that long
    handler = ScriptedHandler(stall=["EHLO"])
    with SmtpServer(smtp_pki, security="starttls", handler=handler) as server:
        body = config_for(server, authentication="none")
        message = f"The mail server localhost:{server.port} timed out during EHLO."
        assert_probe_refused(api, body, step="ehlo", message=message, before=NOTHING_STORED)


def test_wrong_password_is_refused(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """A wrong password is refused with the server's 535 reply, and the stored one stays."""
    assert api.put(API, json=config_for(ssl_server)).status_code == 200
    body = config_for(ssl_server, password="wrong-" + PASSWORD)
    message = AUTH_FAILED.format(username=USER, reply=REPLY_535)
    assert "authentication" in message.lower()
    assert_probe_refused(api, body, step="auth", message=message)


def test_closed_port_is_refused(demo: LiveServer, api: httpx.Client) -> None:
    """A port nobody listens on is refused as connection refused."""
    port = free_port()
    body = {
        "host": "localhost",
        "port": port,
        "security": "ssl",
        "authentication": "none",
        "sender_email": SENDER,
    }
    message = CONNECT_REFUSED.format(label=f"localhost:{port}")
    assert_probe_refused(api, body, step="connect", message=message, before=NOTHING_STORED)


def test_private_address_is_refused_with_the_guard_on(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """Without GATEHOUSE_ALLOW_PRIVATE_MAIL_HOSTS a loopback server, by name or address, is
    refused at dns and nothing is stored."""
    settings = demo.settings.model_copy(update={"allow_private_mail_hosts": False})

    async def save(host: str) -> DeliveryError:
        runtime = build_runtime(settings)
        try:
            async with runtime.sessions() as session:
                with pytest.raises(DeliveryError) as caught:
                    raw = config_for(ssl_server, host=host)
                    await save_custom(runtime, session, tenant_id="demo", actor="t", raw=raw)
            return caught.value
        finally:
            await runtime.close()

    by_name = run_in_thread(lambda: save("localhost"))
    by_address = run_in_thread(lambda: save("127.0.0.1"))
    assert (by_name.step, by_name.message) == (
        "dns",
        NOT_FOUND_OR_PRIVATE.format(host="localhost"),
    )
    assert (by_address.step, by_address.message) == (
        "dns",
        PRIVATE_LITERAL.format(address="127.0.0.1"),
    )
    assert state(api) == NOTHING_STORED
    assert ssl_server.handler.messages == []


# --- field errors: 422 naming the field, nothing stored ------------------------------------


FIELD_ERRORS: list[tuple[dict[str, Any], str, str]] = [
    ({"host": "bad host!"}, "host", "'bad host!' is not a valid host name."),
    ({"host": "loc\x00alhost"}, "host", NUL_REFUSED),
    ({"port": 70000}, "port", "The port must be between 1 and 65535."),
    (
        {"sender_email": "not-an-address"},
        "sender_email",
        "Not a valid e-mail address: An e-mail address must have an @-sign.",
    ),
    (
        {"sender_name": "Acme\r\nBcc: victim@example.com"},
        "sender_name",
        "Line breaks, control characters and text-direction overrides are not allowed.",
    ),
    (
        {"sender_name": "Support \u202emoc.knab"},  # would show as "Support bank.com"
        "sender_name",
        "Line breaks, control characters and text-direction overrides are not allowed.",
    ),
    (
        {"rate_limit_per_minute": 10},
        "rate_limit_per_minute",
        "Leave empty, or enter 30 to 600 e-mails per minute.",
    ),
    (
        {"rate_limit_per_minute": 601},
        "rate_limit_per_minute",
        "Leave empty, or enter 30 to 600 e-mails per minute.",
    ),
    ({"sender_email": ...}, "sender_email", "Enter the sender e-mail address."),
]


def test_field_errors_name_the_field(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer, subtests: pytest.Subtests
) -> None:
    """Each invalid field (for an otherwise working server) is refused naming that field."""
    for overrides, field, message in FIELD_ERRORS:
        with subtests.test(overrides=repr(overrides)):
            body = config_for(ssl_server, **overrides)
            assert_field_refused(api, body, field=field, message=message)
            assert api.post(f"{API}/test", json=body).json()["detail"]["field"] == field
    not_json = api.put(API, content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 422
    assert not_json.json() == {
        "detail": {"field": "body", "message": "The body is not valid JSON."}
    }
    assert state(api) == NOTHING_STORED


def test_a_body_that_is_no_json_object_says_what_it_must_be(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer, subtests: pytest.Subtests
) -> None:
    """JSON sent without its content type (curl -d sends it form-encoded), an array, a string
    or no body: 422 naming body with what it must be, not pydantic's "Input should be a valid
    dictionary or object to extract fields from"."""
    as_json = json.dumps(config_for(ssl_server)).encode()
    bodies = {
        "no content type": (as_json, {}),
        "form-encoded": (as_json, {"content-type": "application/x-www-form-urlencoded"}),
        "text": (as_json, {"content-type": "text/plain"}),
        "array": (b"[]", {"content-type": "application/json"}),
        "string": (b'"x"', {"content-type": "application/json"}),
        "empty": (b"", {"content-type": "application/json"}),
    }
    for name, (content, headers) in bodies.items():
        with subtests.test(body=name):
            refused = api.put(API, content=content, headers=headers)
            assert (refused.status_code, refused.json()) == (
                422,
                {"detail": {"field": "body", "message": BODY_NOT_OBJECT}},
            )
    assert state(api) == NOTHING_STORED


def test_wrong_json_types_are_refused_naming_the_field(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer, subtests: pytest.Subtests
) -> None:
    """A port or rate limit that is not a JSON number (true was read as port 1, "2465" as the
    port) is refused naming the field, before any probe; nothing is stored."""
    wrong = [
        ("port", True),
        ("port", str(ssl_server.port)),
        ("port", float(ssl_server.port)),
        ("rate_limit_per_minute", "120"),
        ("rate_limit_per_minute", False),
    ]
    for field, value in wrong:
        with subtests.test(field=field, value=repr(value)):
            body = config_for(ssl_server, **{field: value})
            message = f"The {field.replace('_', ' ')} must be a whole number."
            assert_field_refused(api, body, field=field, message=message)
            tested = api.post(f"{API}/test", json=body)
            assert tested.status_code == 422
            assert tested.json()["detail"] == {"field": field, "message": message}
    assert state(api) == NOTHING_STORED


# --- the write-only password and the change log --------------------------------------------


def test_get_never_returns_the_password(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """PUT and GET answers carry password_set, never the password."""
    saved = api.put(API, json=config_for(ssl_server))
    shown = api.get(API)
    for response in (saved, shown):
        assert response.status_code == 200
        assert "password" not in response.json()
        assert response.json()["password_set"] is True
        assert PASSWORD not in response.text


def test_rebinding_without_password_is_refused(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer, subtests: pytest.Subtests
) -> None:
    """Changing host, port, security or user name without the password again changes nothing."""
    assert api.put(API, json=config_for(ssl_server)).status_code == 200
    before = state(api)
    changes = {
        "host": "127.0.0.1",
        "port": ssl_server.port + 1,
        "security": "starttls",
        "username": "other-user",
    }
    for field, value in changes.items():
        with subtests.test(field=field):
            body = config_for(ssl_server, password=..., **{field: value})
            assert_field_refused(api, body, field="password", message=PASSWORD_REBIND)
    assert state(api) == before


def test_put_replaces_the_configuration_but_the_password(
    demo: LiveServer, api: httpx.Client, admin: Api, ssl_server: SmtpServer
) -> None:
    """PUT replaces the whole configuration, as the README says: sender name, reply-to and rate
    limit left out are cleared; only a password left out keeps the stored one."""
    full = config_for(ssl_server, rate_limit_per_minute=60)
    assert api.put(API, json=full).status_code == 200
    bare = config_for(ssl_server, password=..., sender_name=..., reply_to=...)
    replaced = api.put(API, json=bare)
    assert replaced.status_code == 200, replaced.text
    shown = without_time(replaced.json())
    assert shown == {**saved_view(bare, admin.actor), "password_set": True}
    assert (shown["sender_name"], shown["reply_to"], shown["rate_limit_per_minute"]) == (
        "",
        None,
        None,
    )


def test_only_a_custom_server_is_probed(api: httpx.Client, ssl_server: SmtpServer) -> None:
    """POST test with mode ses or default is 422 naming mode: it probed the body's server
    fields as a custom server's, whatever the mode said."""
    tested = [
        api.post(f"{API}/test", json={**config_for(ssl_server), "mode": mode})
        for mode in ("ses", "default")
    ]
    assert [(t.status_code, t.json()) for t in tested] == [
        (422, {"detail": {"field": "mode", "message": "Only a custom mail server can be tested."}})
    ] * 2
    assert api.post(f"{API}/test", json=config_for(ssl_server)).status_code == 200


def test_change_log_records_create_update_delete(
    demo: LiveServer, api: httpx.Client, admin: Api, ssl_server: SmtpServer
) -> None:
    """Create, update and delete are logged with the actor; the password only as "changed"."""
    first = config_for(ssl_server)
    assert api.put(API, json=first).status_code == 200
    kept = config_for(ssl_server, password=..., sender_name="Acme Mail", rate_limit_per_minute=60)
    updated = api.put(API, json=kept)
    assert updated.status_code == 200, updated.text
    assert updated.json()["password_set"] is True  # an omitted password keeps the stored one
    assert api.put(API, json=kept).status_code == 200  # saved again as it is: nothing logged
    assert api.put(API, json=config_for(ssl_server, sender_name="Acme Mail")).status_code == 200
    removed = api.delete(API)
    assert removed.status_code == 200
    assert removed.json() == {"mode": "default", "message": "Configuration removed"}
    current, changes = state(api)
    assert current == DEFAULT_VIEW
    assert [(c["action"], c["actor"], c["changes"]) for c in reversed(changes)] == [
        (
            "create",
            admin.actor,
            {
                "mode": "custom",
                "host": "localhost",
                "port": ssl_server.port,
                "security": "ssl",
                "authentication": "password",
                "username": USER,
                "sender_email": SENDER,
                "sender_name": SENDER_NAME,
                "reply_to": REPLY_TO,
                "rate_limit_per_minute": None,
                "password": "changed",
            },
        ),
        (
            "update",
            admin.actor,
            {"sender_name": "Acme Mail", "rate_limit_per_minute": 60},  # no mode: unchanged
        ),
        (
            "update",
            admin.actor,
            {"rate_limit_per_minute": None, "password": "changed"},
        ),
        ("delete", admin.actor, {"mode": "default"}),
    ]
    assert PASSWORD not in str(changes)
    with demo.client() as console:  # the console names fields as its form does
        sign_in(console, "admin@demo.test")
        log = console.get("/admin/tenant-settings/mail-server").text.split("Change log")[1]
    assert (
        f"Configuration = Custom Mail Server, Host = localhost, Port = {ssl_server.port}, "
        "Security = SSL/TLS, Authentication = User name and password, User Name = "
    ) in log
    assert "<td>Sender Name = Acme Mail, Rate Limit = 60</td>" in log
    assert "Rate Limit = —, Password = changed" in log
    assert "Configuration = Default" in log
    assert "rate_limit_per_minute" not in log and "<code>" not in log


# --- isolation and authorization -----------------------------------------------------------


@pytest.fixture
def other_tenant(demo: LiveServer) -> Api:
    """Tenant ``other`` with its own configuration client."""

    async def seed(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            await onboard_tenant(
                session,
                settings=demo.settings,
                display_name="Other",
                admin_email="o@other.test",
                tenant_id="other",
                admin_password="Other-Admin-1",
            )

    demo.run(seed)
    return make_client(demo, "other", "other-ci", Authorization.MANAGE_TENANT_CONFIGURATION)


def test_tenants_cannot_reach_each_others_configuration(
    demo: LiveServer, admin: Api, other_tenant: Api, smtp_pki: Pki
) -> None:
    """A's credentials are unknown on B's host; on A's host only A's configuration exists."""
    with SmtpServer(smtp_pki, security="starttls") as relay:
        relay_body = config_for(relay, authentication="none")
        with other_tenant.client(demo) as b:
            assert b.put(API, json=relay_body).status_code == 200
            b_before = state(b)
        with admin.client(demo, "other") as a_on_b:
            answers = [
                a_on_b.get(API),
                a_on_b.get(f"{API}/changes"),
                a_on_b.put(API, json=config_for(relay, authentication="none", sender_name="A")),
                a_on_b.post(f"{API}/test", json=relay_body),
                a_on_b.delete(API),
            ]
        assert [r.status_code for r in answers] == [401] * 5
        assert all(r.json() == {"detail": BAD_CREDENTIALS} for r in answers)
        with admin.client(demo) as a:
            assert state(a) == (DEFAULT_VIEW, [])
            assert a.delete(API).status_code == 200  # removes A's (none), not B's
        with other_tenant.client(demo) as b:
            assert state(b) == b_before
            assert b_before[0]["host"] == "localhost"


def test_client_without_authorization_gets_403(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """A client lacking Manage Tenant Configuration gets 403 on every mail-server endpoint."""
    assert api.put(API, json=config_for(ssl_server)).status_code == 200
    before = state(api)
    reader = make_client(demo, "demo", "reader", Authorization.READ_USERS)
    body = config_for(ssl_server, sender_name="Reader")
    with reader.client(demo) as client:
        answers = [
            client.get(API),
            client.get(f"{API}/changes"),
            client.put(API, json=body),
            client.post(f"{API}/test", json=body),
            client.delete(API),
        ]
    assert [r.status_code for r in answers] == [403] * 5
    refused = f"{FORBIDDEN}: manage-tenant-configuration."  # names what the client lacks
    assert all(r.json() == {"detail": refused} for r in answers)
    assert state(api) == before


# --- every e-mail goes through the configured server, at once, with no fallback ------------


@dataclass(frozen=True)
class OutboxRow:
    recipient: str
    status: str
    attempts: int
    last_error: str | None


def outbox(live: LiveServer) -> list[OutboxRow]:
    async def work(runtime: Any) -> list[OutboxRow]:
        async with runtime.sessions() as session:
            rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))
            return [OutboxRow(m.recipient, m.status, m.attempts, m.last_error) for m in rows]

    return live.run(work)


def wait_until(check: Callable[[], Any], *, timeout: float = 15, what: str = "condition") -> Any:
    """Poll ``check()`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout}s")


def settled(live: LiveServer, count: int) -> list[OutboxRow]:
    """The outbox once ``count`` messages have had at least one attempt finished."""

    def check() -> list[OutboxRow] | None:
        rows = outbox(live)
        done = [r for r in rows if r.status in ("sent", "failed") or (r.attempts and r.last_error)]
        return rows if len(rows) == count and len(done) == count else None

    result: list[OutboxRow] = wait_until(check, what=f"{count} settled message(s)")
    return result


def received(server: SmtpServer, count: int) -> list[ReceivedMessage]:
    messages: list[ReceivedMessage] = wait_until(
        lambda: server.handler.messages if len(server.handler.messages) >= count else None,
        what=f"{count} message(s) at the custom server",
    )
    return messages


def forgot_password(live: LiveServer, identifier: str = "jane@demo.test") -> None:
    with live.client() as client:
        response = client.post("/service/users/forgotPassword", json={"identifier": identifier})
    assert response.status_code == 200


def test_mail_goes_through_the_custom_server_at_once(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """After PUT, the reset e-mail leaves through the custom server with its sender, not the
    default."""
    assert api.put(API, json=config_for(ssl_server)).status_code == 200
    forgot_password(demo)
    [mail] = received(ssl_server, 1)
    assert (mail.mail_from, mail.rcpt_tos, mail.login) == (SENDER, ("jane@demo.test",), USER)
    assert mail.message["From"] == f"{SENDER_NAME} <{SENDER}>"
    assert mail.message["Reply-To"] == REPLY_TO
    assert mail.message["Subject"] == "Reset your password for Demo Tenant"
    assert [r.status for r in settled(demo, 1)] == ["sent"]
    assert demo.devmail.mailbox.messages() == []


def test_after_delete_mail_goes_to_the_default_server(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer
) -> None:
    """After DELETE, the next e-mail leaves through the platform default, from its sender; a
    DELETE sent again says that nothing was removed (it said "Configuration removed")."""
    assert api.put(API, json=config_for(ssl_server, reply_to=...)).status_code == 200
    forgot_password(demo)
    [first] = received(ssl_server, 1)
    assert first.message["Reply-To"] is None
    assert api.delete(API).json() == {"mode": "default", "message": "Configuration removed"}
    again = {
        "mode": "default",
        "message": "No configuration to remove: the default mail server is in use.",
    }
    assert api.delete(API).json() == again  # sent again: nothing was removed now
    forgot_password(demo)
    [mail] = demo.wait_for_mail(lambda m: "jane@demo.test" in m.rcpt_to)
    assert (mail.listener, mail.sender) == ("default", DEFAULT_FROM)
    assert [r.status for r in settled(demo, 2)] == ["sent", "sent"]
    assert len(ssl_server.handler.messages) == 1


def test_recreated_configuration_uses_the_new_server(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer, smtp_pki: Pki
) -> None:
    """After DELETE and a new PUT, mail goes to the new server, not over the old one's kept
    connection (a re-created configuration starts again at version 1)."""
    assert api.put(API, json=config_for(ssl_server)).status_code == 200
    forgot_password(demo)
    received(ssl_server, 1)
    assert api.delete(API).status_code == 200
    with SmtpServer(smtp_pki, security="ssl", credentials=(USER, "0ther-Pa55word")) as second:
        body = config_for(second, password="0ther-Pa55word", sender_name="Second")
        assert api.put(API, json=body).status_code == 200
        forgot_password(demo)
        [mail] = received(second, 1)
    assert mail.message["From"] == f"Second <{SENDER}>"
    assert len(ssl_server.handler.messages) == 1


def test_custom_server_refusing_fails_the_message_without_fallback(
    demo: LiveServer, api: httpx.Client, smtp_pki: Pki
) -> None:
    """When the configured server starts answering 550, the e-mail fails with the diagnosis
    and nothing goes through the default server."""
    good = SmtpServer(smtp_pki, security="ssl", credentials=(USER, PASSWORD)).start()
    try:
        assert api.put(API, json=config_for(good)).status_code == 200
        forgot_password(demo)
        received(good, 1)
    finally:
        good.stop()
    refusing = ScriptedHandler({"RCPT": "550 5.1.1 No such user here"})
    broken = SmtpServer(
        smtp_pki, security="ssl", credentials=(USER, PASSWORD), handler=refusing, port=good.port
    )
    with broken:
        assert broken.port == good.port  # the configured server, now broken
        forgot_password(demo)
        rows = settled(demo, 2)
    reply = "550 5.1.1 No such user here"
    assert rows[1] == OutboxRow(
        "jane@demo.test",
        "failed",
        1,
        "rcpt: " + REPLY_PERMANENT.format(subject="the recipient jane@demo.test", reply=reply),
    )
    assert refusing.commands == ["MAIL", "RCPT"]
    assert demo.devmail.mailbox.messages() == []


def test_stopped_custom_server_is_retried_not_rerouted(
    demo: LiveServer, api: httpx.Client, smtp_pki: Pki
) -> None:
    """When the configured server goes away, the e-mail waits for a retry with the diagnosis
    and nothing goes through the default server."""
    server = SmtpServer(smtp_pki, security="ssl", credentials=(USER, PASSWORD)).start()
    try:
        assert api.put(API, json=config_for(server)).status_code == 200
        forgot_password(demo)
        received(server, 1)
    finally:
        server.stop()
    forgot_password(demo)
    rows = settled(demo, 2)
    message = CONNECT_REFUSED.format(label=f"localhost:{server.port}")
    assert rows[1] == OutboxRow("jane@demo.test", "queued", 1, f"connect: {message}")
    time.sleep(0.3)
    assert demo.devmail.mailbox.messages() == []


# --- the demo scenario of the issue --------------------------------------------------------


def test_demo_scenario_with_the_dev_custom_listener(demo: LiveServer, api: httpx.Client) -> None:
    """PUT the dev custom listener -> mail arrives there; a wrong password changes nothing;
    DELETE -> mail arrives at the default listener."""
    custom = next(x for x in demo.devmail.listeners if x.name == "custom")
    body = {
        "host": custom.host,
        "port": custom.port,
        "security": custom.security,
        "authentication": "password",
        "username": custom.username,
        "password": custom.password,
        "sender_email": "mail@demo.test",
        "sender_name": "Demo Mail",
    }
    saved = api.put(API, json=body)
    assert saved.status_code == 200, saved.text
    forgot_password(demo)
    [mail] = demo.wait_for_mail(lambda m: "jane@demo.test" in m.rcpt_to)
    assert (mail.listener, mail.sender, mail.mail_from) == (
        "custom",
        "Demo Mail <mail@demo.test>",
        "mail@demo.test",
    )
    wrong = {**body, "password": "not-" + str(custom.password)}
    refused = AUTH_FAILED.format(username=custom.username, reply=REPLY_535)
    assert_probe_refused(api, wrong, step="auth", message=refused)
    assert "authentication" in refused.lower()
    assert api.get(API).json() == saved.json()
    assert api.delete(API).status_code == 200
    demo.devmail.mailbox.clear()
    forgot_password(demo)
    [mail] = demo.wait_for_mail(lambda m: "jane@demo.test" in m.rcpt_to)
    assert (mail.listener, mail.sender) == ("default", DEFAULT_FROM)
    assert_probe_refused(api, wrong, step="auth", message=refused)
    assert custom_fields(api.get(API).json()) == DEFAULT_VIEW


def test_removing_no_configuration_says_nothing_was_removed(demo: LiveServer) -> None:
    """The console's Remove sent when the default is already in force (a reload, a second tab)
    shows the default without "Configuration removed", and logs nothing."""
    with demo.client() as console:
        sign_in(console, "admin@demo.test")
        page = console.get("/admin/tenant-settings/mail-server")
        removed = console.post(
            "/admin/tenant-settings/mail-server/remove", data={"csrf_token": csrf_token(page)}
        )
        after = console.get(removed.headers["location"])
    assert removed.headers["location"] == "/admin/tenant-settings/mail-server?tab=default"
    assert "Configuration removed" not in after.text
    assert "No changes yet." in after.text.split("Change log")[1]


# --- the tenant's checks in an hour -----------------------------------------------------------

CHECKS_LIMITED = (
    "The mail server settings were checked too often for this tenant in the last hour. "
    "Try again later."
)


def checked_before(live: LiveServer, tenant_id: str, count: int) -> None:
    """``count`` checks of ``tenant_id``'s mail server just now."""

    async def work(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            session.add_all(
                ClientAttempt(tenant_id=tenant_id, kind="server-check", network="tenant")
                for _ in range(count)
            )

    live.run(work)


def test_a_tenants_mail_server_checks_are_limited_per_hour(
    demo: LiveServer, api: httpx.Client, ssl_server: SmtpServer, other_tenant: Api
) -> None:
    """The 60th check of the hour connects; the 61st, a test or a save, in the API or the
    console, is refused with 429 before any connection, and nothing is stored. Input refused
    as such is told first, and another tenant is not held back."""
    limit = demo.settings.mail_server_checks_per_tenant_hour
    checked_before(demo, "demo", limit - 1)
    body = config_for(ssl_server)
    last = api.post(f"{API}/test", json={"mode": "custom", **body})
    assert last.status_code == 200, last.text
    greeted = len(ssl_server.handler.ehlo_names)
    before = state(api)
    tested = api.post(f"{API}/test", json={"mode": "custom", **body})
    saved = api.put(API, json=body)
    malformed = api.put(API, json={**body, "port": 0})
    with demo.client() as admin:
        sign_in(admin, "admin@demo.test")
        page = admin.get("/admin/tenant-settings/mail-server?tab=custom")
        form = {k: str(v) for k, v in body.items()} | {"csrf_token": csrf_token(page)}
        console = admin.post("/admin/tenant-settings/mail-server", data=form)
    assert (tested.status_code, tested.json()) == (429, {"detail": CHECKS_LIMITED})
    assert (saved.status_code, saved.json()) == (429, {"detail": CHECKS_LIMITED})
    assert malformed.status_code == 422 and malformed.json()["detail"]["field"] == "port"
    assert console.status_code == 429 and CHECKS_LIMITED in console.text
    assert len(ssl_server.handler.ehlo_names) == greeted  # no connection past the limit
    assert state(api) == before
    with other_tenant.client(demo) as elsewhere:
        answer = elsewhere.post(f"{API}/test", json={"mode": "custom", **body})
    assert answer.status_code == 200, answer.text
