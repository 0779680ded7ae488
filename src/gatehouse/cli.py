"""The ``gatehouse`` command line."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Annotated, NoReturn, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from gatehouse.accounts.authorizations import KNOWN_SLUGS, parse_authorizations
from gatehouse.accounts.clients import create_client
from gatehouse.db.migrate import schema_problem, upgrade
from gatehouse.db.unreachable import unreachable_reason
from gatehouse.errors import GatehouseError, SchemaError, SettingsError, ValidationError
from gatehouse.mail import test_email
from gatehouse.mail.worker import Worker
from gatehouse.processes.demo import DEMO_ADMIN_PASSWORD, DEMO_USER_PASSWORD, ensure_demo
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.runtime import Runtime, build_runtime, freeze_heap, run_loop
from gatehouse.secret_rotation import reencrypt_secrets
from gatehouse.settings import Settings
from gatehouse.settings_check import check_settings, load_settings
from gatehouse.tenants import service as tenants
from gatehouse.web.app import create_app

app = typer.Typer(
    help="Gatehouse: multi-tenant identity with tenant-controlled e-mail.", no_args_is_help=True
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
tenant_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
client_app = typer.Typer(help="Manage API clients.", no_args_is_help=True)
mail_app = typer.Typer(help="Mail commands.", no_args_is_help=True)
secrets_app = typer.Typer(help="Stored secrets and GATEHOUSE_SECRET_KEYS.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(client_app, name="client")
app.add_typer(mail_app, name="mail")
app.add_typer(secrets_app, name="secrets")
# No wrapping at the terminal's width (80 columns in a pipe, journald's too): each message is
# one line, as README promises and log searches need.
console = Console(soft_wrap=True)
error_console = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class Expiry(StrEnum):
    """A new client secret's lifetime, as `client create --expires` takes it."""

    ONE_YEAR = "1y"
    TWO_YEARS = "2y"
    NEVER = "never"


DEMO_NEEDS_DEV = (
    "The demo's passwords are public: it is created only in dev mode (GATEHOUSE_DEV=1, as "
    "`make run` sets)."
)
# `gatehouse serve`'s port unless --port says otherwise (make run's too).
DEFAULT_PORT = 8000


def _fail(message: str) -> NoReturn:
    """One line on standard error, no traceback, exit status 1."""
    error_console.print(f"[red]Error:[/red] {escape(message)}")
    raise typer.Exit(1)


def _fail_unreachable(exc: OSError | DBAPIError) -> NoReturn:
    """A database that cannot be reached fails the command in one line; any other database
    error is a bug and keeps its traceback."""
    reason = unreachable_reason(exc)
    if reason is None:
        raise exc
    _fail(reason)


def _checked_settings(*, public_port: int = DEFAULT_PORT) -> Settings:
    """The environment's settings, every one that cannot work refused before the command
    starts. Links in e-mails point at ``public_port`` when GATEHOUSE_PUBLIC_PORT is not set:
    `gatehouse serve`'s port, which the other commands take to be the default one."""
    try:
        settings = load_settings()
        if settings.public_port is None:
            settings = settings.model_copy(update={"public_port": public_port})
        check_settings(settings)
    except SettingsError as exc:
        _fail(str(exc))
    return settings


def _settings() -> Settings:
    """The environment's settings for the commands other than serve."""
    return _checked_settings()


async def _require_schema(runtime: Runtime) -> None:
    """Refuse to start on a database without this release's migrations. One that cannot be
    reached is left to the command (a worker waits for it; the others say so)."""
    try:
        problem = await schema_problem(runtime.engine)
    except (OSError, DBAPIError) as exc:
        if unreachable_reason(exc) is None:
            raise
        return
    if problem is not None:
        raise SchemaError(problem)


async def _schema_checked(runtime: Runtime) -> None:
    """Nothing more: ``_run`` has checked the database's migrations before any work."""


def _run(work: Callable[[Runtime], Awaitable[T]], *, options: Mapping[str, str] | None = None) -> T:
    """Run ``work`` with a fresh runtime; domain errors become a clear message and exit 1, a
    bad value naming its option (``options``: field -> option), a database that cannot be
    reached or lacks this release's migrations saying so."""
    settings = _settings()

    async def main() -> T:
        runtime = build_runtime(settings)
        try:
            await _require_schema(runtime)
            return await work(runtime)
        finally:
            await runtime.close()

    try:
        return run_loop(main())
    except ValidationError as exc:
        _fail(exc.labelled(options or {}))
    except GatehouseError as exc:
        _fail(str(exc))
    except (OSError, DBAPIError) as exc:
        _fail_unreachable(exc)


# Below the web unit's TimeoutStopSec (40 s, deploy/): requests still running then (a probe
# of a slow tenant server) are ended by uvicorn, not the process killed by systemd.
GRACEFUL_SHUTDOWN_SECONDS = 30


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = DEFAULT_PORT,
) -> None:
    """Serve the web application (and, unless GATEHOUSE_RUN_WORKER=0, the delivery worker)."""
    settings = _checked_settings(public_port=port)
    _run(_schema_checked)  # before uvicorn starts: a database without migrations stops here
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if settings.dev:
        console.print(
            f"Demo: http://demo.{settings.base_domain}:{port}/  "
            f"console: http://demo.{settings.base_domain}:{port}/admin  "
            f"mailbox: http://{settings.base_domain}:{port}/_mailbox"
        )
    listener = _listening_socket(host, port)
    app = create_app(settings)
    freeze_heap()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    # uvicorn says where it listens only for the sockets it binds itself.
    logging.getLogger("gatehouse.serve").info("listening on http://%s:%d", host, port)
    uvicorn.Server(config).run(sockets=[listener])


def _listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound before the application (and its in-process worker, which
    would claim a batch) starts: a port in use fails the command in one line, as uvicorn's
    own bind, after the start, did not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        option = "--host" if _address_at_fault(exc) else "--port"
        _fail(f"{option}: cannot listen on {host}:{port}: {exc.strerror or exc}.")
    listener.set_inheritable(True)
    return listener


def _address_at_fault(exc: OSError) -> bool:
    """Whether listening failed for the address (a name that does not resolve, an address not
    this machine's), not for the port (in use, or not allowed)."""
    return isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL


@app.command()
def worker(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve this worker's Prometheus metrics (sent, failed, retried, delivery "
            "latency) at http://HOST:PORT/metrics. Off unless given.",
            min=1,
            max=65535,
        ),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Interface of --metrics-port.")] = "127.0.0.1",
) -> None:
    """Run the delivery worker alone (any number of them can share the queue)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def work(runtime: Runtime) -> None:
        delivery = Worker(runtime)
        metrics_server = None
        if metrics_port is not None:
            try:
                metrics_server = runtime.metrics.serve_for_worker(
                    host=metrics_host, port=metrics_port
                )
            except OSError as exc:
                raise ValidationError(
                    "metrics_host" if _address_at_fault(exc) else "metrics_port",
                    f"cannot listen on {metrics_host}:{metrics_port}: {exc.strerror or exc}.",
                ) from None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, delivery.stop)  # finish in-flight sends, then exit
        freeze_heap()
        try:
            await delivery.run()
        finally:
            if metrics_server is not None:
                metrics_server.shutdown()

    _run(work, options={"metrics_port": "--metrics-port", "metrics_host": "--metrics-host"})


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    settings = _settings()
    try:
        upgrade(settings)
    except (OSError, DBAPIError) as exc:
        _fail_unreachable(exc)
    console.print("Database is up to date.")


@app.command()
def demo() -> None:
    """Dev mode only: create the demo tenant, administrator and user if missing."""

    if not _settings().dev:  # its passwords are public: never on a real platform
        _fail(DEMO_NEEDS_DEV)

    async def work(runtime: Runtime) -> None:
        async with runtime.sessions.begin() as session:
            created = await ensure_demo(session, settings=runtime.settings)
        if created:
            console.print("Demo tenant 'demo' created.")
            console.print(f"  administrator: admin@demo.test  password: {DEMO_ADMIN_PASSWORD}")
            console.print(f"  user:          jane@demo.test   password: {DEMO_USER_PASSWORD}")
        else:  # the passwords may have been changed since
            console.print(
                "Demo tenant 'demo' already exists: admin@demo.test and jane@demo.test, "
                "with the passwords they were created with unless they changed them."
            )

    _run(work)


@tenant_app.command("create")
def tenant_create(
    display_name: Annotated[str, typer.Option("--display-name", help="1-50 characters.")],
    admin_email: Annotated[str, typer.Option("--admin-email", help="The first administrator.")],
    tenant_id: Annotated[str | None, typer.Option("--id", help="Default: generated.")] = None,
) -> None:
    """Create a tenant and its first administrator, who gets an activation e-mail."""

    async def work(runtime: Runtime) -> None:
        async with runtime.sessions.begin() as session:
            new = await onboard_tenant(
                session,
                settings=runtime.settings,
                display_name=display_name,
                admin_email=admin_email,
                tenant_id=tenant_id,
            )
        host = tenants.tenant_host(new.tenant, base_domain=runtime.settings.base_domain)
        console.print(
            f"Tenant [bold]{new.tenant.id}[/bold] created: "
            f"{runtime.settings.tenant_origin(host)}/admin"
        )
        console.print(f"Activation e-mail queued for {new.admin.email}.")

    _run(work, options={"display_name": "--display-name", "email": "--admin-email", "id": "--id"})


@tenant_app.command("list")
def tenant_list() -> None:
    """List the tenants."""

    async def work(runtime: Runtime) -> None:
        async with runtime.sessions() as session:
            rows = await tenants.list_tenants(session)
        table = Table("ID", "Display name", "Created")
        for tenant in rows:
            created = tenant.created_at.strftime("%Y-%m-%d %H:%M UTC")
            table.add_row(tenant.id, tenant.display_name, created)
        console.print(table)

    _run(work)


@tenant_app.command("add-domain")
def tenant_add_domain(
    tenant_id: Annotated[str, typer.Argument(help="The tenant's ID (see `tenant list`).")],
    domain: Annotated[
        str,
        typer.Argument(help="A host name outside GATEHOUSE_BASE_DOMAIN, as in id.acme.com."),
    ],
) -> None:
    """Serve the tenant also on DOMAIN (its pages and /admin)."""

    async def work(runtime: Runtime) -> None:
        async with runtime.sessions.begin() as session:
            record = await tenants.add_domain(
                session,
                tenant_id=tenant_id,
                domain=domain,
                base_domain=runtime.settings.base_domain,
            )
        console.print(f"{record.domain} now serves tenant {tenant_id}.")

    _run(work, options={"domain": "DOMAIN"})


@client_app.command("create")
def client_create(
    tenant: Annotated[str, typer.Option(help="Tenant ID.")],
    name: Annotated[str, typer.Option(help="A name for the client.")],
    authorization: Annotated[
        list[str],
        typer.Option(help=f"Repeatable, one of: {KNOWN_SLUGS}."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    expires: Annotated[Expiry, typer.Option(help="Secret expiry.")] = Expiry.NEVER,
) -> None:
    """Create an API client; its secret is printed once and stored only as a hash."""

    async def work(runtime: Runtime) -> None:
        async with runtime.sessions.begin() as session:
            await tenants.get_tenant(session, tenant)
            new = await create_client(
                session,
                tenant_id=tenant,
                name=name,
                authorizations=parse_authorizations(authorization),
                expiry=expires.value,
                actor="cli",
            )
        if as_json:
            typer.echo(json.dumps({"client_id": new.client_id, "secret": new.secret}))
        else:
            console.print(f"client ID: {new.client_id}\nsecret:    {new.secret}  (shown once)")

    _run(work, options={"name": "--name", "authorization": "--authorization"})


@mail_app.command("send-test")
def mail_send_test(
    tenant: Annotated[str, typer.Option(help="Tenant ID.")],
    to: Annotated[str, typer.Option(help="Recipient address.")],
    wait: Annotated[bool, typer.Option(help="Deliver now and report the outcome.")] = True,
    language: Annotated[str, typer.Option(help="Language of the e-mail (en, de, fr ...).")] = "en",
) -> None:
    """Queue a test e-mail through the tenant's configuration, like every other e-mail."""

    async def work(runtime: Runtime) -> None:
        message_id = await test_email.queue_test_email(  # the operator's: not limited
            runtime, tenant_id=tenant, recipient=to, language=language, limit=0, delivered_here=wait
        )
        console.print(f"Test e-mail {message_id} queued.")
        if wait:
            outcome = await test_email.deliver_now(runtime, message_id)
            console.print(outcome)
            if not outcome.startswith("sent"):
                raise typer.Exit(1)

    _run(work, options={"to": "--to", "language": "--language"})


@secrets_app.command("reencrypt")
def secrets_reencrypt() -> None:
    """Encrypt every stored secret again under the newest key, so older ones can be removed.

    The newest key is the first of GATEHOUSE_SECRET_KEYS (README: Configuration)."""

    async def work(runtime: Runtime) -> None:
        async with runtime.sessions.begin() as session:
            outcome = await reencrypt_secrets(session, runtime.secret_box)
        console.print(f"{outcome.count} stored secret(s) now use the newest key.")
        if outcome.undecryptable:
            _fail(
                "No key of GATEHOUSE_SECRET_KEYS decrypts the stored secret of tenant(s) "
                f"{', '.join(outcome.undecryptable)}: keep the key they were stored with, or "
                "have their administrators enter the password again."
            )

    _run(work)
