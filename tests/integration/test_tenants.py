"""Tenants from the command line: creation with an activation e-mail, listing, custom domains,
and the Host header picking the tenant."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from gatehouse.cli import app
from gatehouse.mail import test_email
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.test_email import HELD_FOR_CALLER
from gatehouse.settings import Settings
from tests.support.cli import point_cli_at
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, link_in, path_of

runner = CliRunner()


@pytest.fixture
def cli_env(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI reads GATEHOUSE_* from the environment: point it at the test database."""
    point_cli_at(monkeypatch, live.settings)
    return live.settings


def test_links_queued_from_the_command_line_point_at_serves_default_port(
    live: LiveServer, cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without GATEHOUSE_PUBLIC_PORT the links go to the port `gatehouse serve` (and `make
    run`) listen on, 8000, not to port 80 where nothing answers."""
    monkeypatch.delenv("GATEHOUSE_PUBLIC_PORT")
    args = ["tenant", "create", "--display-name", "Beta", "--admin-email", "b@beta.test"]
    result = runner.invoke(app, [*args, "--id", "beta"])
    assert result.exit_code == 0, result.output
    assert "Tenant beta created: http://beta.localhost:8000/admin" in result.output


def test_tenant_create_sends_activation_that_lands_in_console(
    live: LiveServer, cli_env: Settings
) -> None:
    """The first administrator's activation link is on the tenant host and ends in the console."""
    result = runner.invoke(
        app,
        [
            "tenant",
            "create",
            "--display-name",
            "Acme Corp",
            "--admin-email",
            "a@acme.test",
            "--id",
            "acme",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Tenant acme created" in result.output
    live.run(_deliver_queued)
    [mail] = live.wait_for_mail(lambda m: m.rcpt_to == ["a@acme.test"])
    assert mail.subject == "Activate your account for Acme Corp"
    link = link_in(mail.text)
    assert link.startswith(f"{live.origin('acme')}/activate?token=")
    with live.client("acme") as client:
        form = client.get(path_of(link))
        assert "Activate your account" in form.text
        done = client.post(
            "/activate",
            data={
                "token": link.split("token=")[1],
                "password": "First-Admin-1",
                "password_confirm": "First-Admin-1",
                "csrf_token": csrf_token(form),
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/admin?msg=activated"
        console = client.get(done.headers["location"])
    assert console.status_code == 200
    assert "Your account is active. Welcome to the administration console." in console.text
    assert "Tenant Settings" in console.text


async def _deliver_queued(runtime: object) -> None:
    """Nothing: the live server's worker delivers; this only proves the CLI committed."""


def test_generated_tenant_ids_are_unguessable_and_lowercase(cli_env: Settings) -> None:
    """Without --id the tenant gets a random 12-character lower-case ID."""
    ids = set()
    for n in range(3):
        result = runner.invoke(
            app, ["tenant", "create", "--display-name", f"T{n}", "--admin-email", f"a{n}@t.test"]
        )
        assert result.exit_code == 0, result.output
        ids.add(re.search(r"Tenant (\S+) created", result.output).group(1))  # type: ignore[union-attr]
    assert len(ids) == 3
    assert all(re.fullmatch(r"[a-z][a-z0-9]{11}", tenant_id) for tenant_id in ids)
    listing = runner.invoke(app, ["tenant", "list"])
    assert all(tenant_id in listing.output for tenant_id in ids)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", listing.output)  # not raw ISO


def test_client_create_names_its_choices(cli_env: Settings) -> None:
    """--expires takes 1y, 2y or never, and the help lists the authorizations."""
    create = ["client", "create", "--tenant", "demo", "--name", "x"]
    wrong = runner.invoke(app, [*create, "--authorization", "read-users", "--expires", "5y"])
    helped = runner.invoke(app, ["client", "create", "--help"], terminal_width=200)
    assert wrong.exit_code == 2 and "Invalid value for '--expires'" in wrong.output
    assert "'5y' is not one of '1y', '2y'," in wrong.output
    assert "manage-tenant-configuration" in helped.output


@pytest.mark.parametrize("name", ["", "x" * 51, "Acme <script>", "Acme; DROP"])
def test_display_name_rules(cli_env: Settings, name: str) -> None:
    """Display names outside 1-50 letters, digits, space, _ - . ' are refused by option."""
    result = runner.invoke(
        app, ["tenant", "create", "--display-name", name, "--admin-email", "a@x.test"]
    )
    assert result.exit_code == 1
    assert "Error: --display-name: The display name must be 1 to 50 characters" in " ".join(
        result.output.split()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["tenant", "create", "--display-name", "Acme", "--admin-email", "acme.test"],
            "--admin-email: Not a valid e-mail address: An e-mail address must have an @-sign.",
        ),
        (
            [
                "tenant",
                "create",
                "--display-name",
                "Acme",
                "--admin-email",
                "a@x.test",
                "--id",
                "A!",
            ],
            "--id: The tenant ID must be 1 to 63 lower-case letters, digits or hyphens, not "
            "starting or ending with a hyphen, and not a reserved name.",
        ),
        (
            ["mail", "send-test", "--tenant", "demo", "--to", "ops"],
            "--to: Not a valid e-mail address: An e-mail address must have an @-sign.",
        ),
        (
            ["tenant", "add-domain", "demo", "not a domain"],
            "DOMAIN: 'not a domain' is not a valid domain name.",
        ),
        (
            ["client", "create", "--tenant", "demo", "--name", "", "--authorization", "read-users"],
            "--name: The name must have 1 to 100 characters.",
        ),
    ],
)
def test_a_bad_value_is_named_by_its_option(
    demo: LiveServer, cli_env: Settings, args: list[str], message: str
) -> None:
    """The error names the option the operator typed, not the field behind it ("email:"
    for --admin-email, "id:", "to:", "domain:" before)."""
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == f"Error: {message}"


def test_custom_domain_serves_the_tenant(demo: LiveServer, cli_env: Settings) -> None:
    """After add-domain, the custom domain shows the tenant's logon page and console."""
    result = runner.invoke(app, ["tenant", "add-domain", "demo", "login.example.test"])
    assert result.exit_code == 0, result.output
    with demo.client(None) as client:
        headers = {"host": f"login.example.test:{demo.port}"}
        logon = client.get("/", headers=headers)
        signin = client.get("/admin/signin", headers=headers)
    assert logon.status_code == 200 and "Demo Tenant" in logon.text
    assert signin.status_code == 200 and "Administration console" in signin.text


@pytest.mark.parametrize("domain", ["beta.localhost", "demo.localhost", "Demo.LocalHost."])
def test_a_host_under_the_base_domain_is_refused(
    demo: LiveServer, cli_env: Settings, domain: str
) -> None:
    """The base domain's host names belong to tenants by their ID: a record of one would
    never be read (``demo.localhost``), or would hand the host over once tenant ``beta``
    exists."""
    result = runner.invoke(app, ["tenant", "add-domain", "demo", domain], terminal_width=300)
    assert result.exit_code == 1
    named = domain.lower().rstrip(".")
    assert (
        f"{named} is under the base domain localhost, whose host names are the tenants' own "
        "(<tenant ID>.localhost): choose a name outside it."
    ) in " ".join(result.output.split())
    deeper = runner.invoke(app, ["tenant", "add-domain", "demo", "login.beta.localhost"])
    assert deeper.exit_code == 0, deeper.output  # not a tenant's host: served as a domain


def test_demo_is_created_in_dev_mode_only(
    live: LiveServer, cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its passwords are printed in the README: never on a platform outside dev mode."""
    monkeypatch.setenv("GATEHOUSE_DEV", "0")
    refused = runner.invoke(app, ["demo"], terminal_width=300)
    assert refused.exit_code == 1
    assert "The demo's passwords are public: it is created only in dev mode" in refused.output
    monkeypatch.setenv("GATEHOUSE_DEV", "1")
    created = runner.invoke(app, ["demo"], terminal_width=300)
    again = runner.invoke(app, ["demo"], terminal_width=300)
    assert created.exit_code == 0 and "password: Demo-Admin-2026" in created.output
    assert again.exit_code == 0 and "Demo-Admin-2026" not in again.output
    assert "already exists" in again.output


def test_unknown_host_is_a_404_page_of_no_tenant(demo: LiveServer) -> None:
    """A host that is no tenant's gets a 404 page that names no tenant."""
    with demo.client("nosuchtenant") as client:
        response = client.get("/")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no tenant at this address." in response.text
    assert "Demo Tenant" not in response.text


def test_client_create_prints_json_and_authenticates(demo: LiveServer, cli_env: Settings) -> None:
    """`client create --json` prints the ID and secret; Basic auth works with them only."""
    result = runner.invoke(
        app,
        [
            "client",
            "create",
            "--tenant",
            "demo",
            "--name",
            "ci",
            "--authorization",
            "manage-tenant-configuration",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    credentials = json.loads(result.output)
    assert set(credentials) == {"client_id", "secret"}
    with demo.client() as client:
        ok = client.get(
            "/admin/api/v1/tenant", auth=(credentials["client_id"], credentials["secret"])
        )
        wrong = client.get("/admin/api/v1/tenant", auth=(credentials["client_id"], "nope"))
        anonymous = client.get("/admin/api/v1/tenant")
    assert ok.status_code == 200 and ok.json()["id"] == "demo"
    assert wrong.status_code == anonymous.status_code == 401
    assert wrong.json() == {"detail": "Invalid client ID or secret."}


def test_client_of_one_tenant_is_unknown_on_another(demo: LiveServer, cli_env: Settings) -> None:
    """A client of tenant demo cannot authenticate on tenant other's host."""
    runner.invoke(
        app,
        [
            "tenant",
            "create",
            "--display-name",
            "Other",
            "--admin-email",
            "o@other.test",
            "--id",
            "other",
        ],
    )
    result = runner.invoke(
        app,
        [
            "client",
            "create",
            "--tenant",
            "demo",
            "--name",
            "ci",
            "--authorization",
            "read-users",
            "--json",
        ],
    )
    credentials = json.loads(result.output)
    with demo.client("other") as client:
        response = client.get(
            "/admin/api/v1/tenant", auth=(credentials["client_id"], credentials["secret"])
        )
    assert response.status_code == 401


def test_client_create_refuses_unknown_authorization(demo: LiveServer, cli_env: Settings) -> None:
    """An unknown authorization slug is named in the error."""
    result = runner.invoke(
        app, ["client", "create", "--tenant", "demo", "--name", "x", "--authorization", "root"]
    )
    assert result.exit_code == 1
    assert "Unknown authorization 'root'" in result.output


def test_mail_send_test_in_a_language(demo: LiveServer, cli_env: Settings) -> None:
    """``mail send-test --language``: the test e-mail in that language; an unknown one is
    refused with the choices."""
    unknown = runner.invoke(
        app, ["mail", "send-test", "--tenant", "demo", "--to", "ops@demo.test", "--language", "xx"]
    )
    assert unknown.exit_code == 1
    assert unknown.output == "Error: --language: Choose one of: en, de, fr, es, it, pt, ja, zh.\n"
    args = ["--tenant", "demo", "--to", "ops@demo.test", "--language", "fr", "--no-wait"]
    queued = runner.invoke(app, ["mail", "send-test", *args])
    assert queued.exit_code == 0, queued.output
    [mail] = demo.wait_for_mail(lambda m: m.rcpt_to == ["ops@demo.test"])
    assert mail.subject == "E-mail de test de Demo Tenant"


def test_mail_send_test_holds_the_email_it_delivers_itself(
    demo: LiveServer, cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``--no-wait`` the command delivers its test e-mail itself, so it is queued held
    for two minutes, past the running workers' claims (one of them took it at times, and the
    command said "sending: not delivered yet"); with ``--no-wait`` it is due at once."""
    held: list[timedelta] = []
    deliver_now = test_email.deliver_now

    async def holding(runtime: Any, message_id: str) -> str:
        async with runtime.sessions() as session:
            message = await session.get(OutboxMessage, message_id)
            held.append(message.next_attempt_at - message.created_at)
        return await deliver_now(runtime, message_id)

    monkeypatch.setattr(test_email, "deliver_now", holding)
    args = ["mail", "send-test", "--tenant", "demo", "--to", "ops@demo.test"]
    runner.invoke(app, args)
    assert len(held) == 1 and timedelta(minutes=1, seconds=59) < held[0] <= HELD_FOR_CALLER
    queued = runner.invoke(app, [*args, "--no-wait"])
    assert queued.exit_code == 0, queued.output
    [message_id] = re.findall(r"Test e-mail ([0-9a-f]{32}) queued", queued.output)

    async def due_in(runtime: Any) -> timedelta:
        async with runtime.sessions() as session:
            message = await session.get(OutboxMessage, message_id)
            return message.next_attempt_at - message.created_at

    assert demo.run(due_in) < timedelta(seconds=1)
