"""create_app(settings): the whole web application, with the in-process worker and, in dev
mode, the development mail server."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from gatehouse.db.migrate import schema_problem
from gatehouse.mail.devmail import DevMailServer
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.worker import Worker, stop_seconds
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from gatehouse.tenants.models import Tenant
from gatehouse.tenants.service import tenant_for_host
from gatehouse.web.account.email_code import router as email_code_router
from gatehouse.web.account.profile_email import router as profile_email_router
from gatehouse.web.account.profile_name import router as profile_name_router
from gatehouse.web.account.registration import router as registration_router
from gatehouse.web.account.routes import router as account_router
from gatehouse.web.api.app import create_api, field_of, message_of, nul_field
from gatehouse.web.body_limit import BodyLimit
from gatehouse.web.console.administrators import router as administrators_router
from gatehouse.web.console.applications import router as applications_router
from gatehouse.web.console.auth import Admin, SignInRequired, current_admin, sign_in_url
from gatehouse.web.console.display_name import router as display_name_router
from gatehouse.web.console.email_templates import router as email_templates_router
from gatehouse.web.console.link_validity import router as link_validity_router
from gatehouse.web.console.mail_delivery import router as mail_delivery_router
from gatehouse.web.console.mail_server import router as mail_server_router
from gatehouse.web.console.process_settings import router as process_settings_router
from gatehouse.web.console.routes import router as console_router
from gatehouse.web.console.ses import router as ses_router
from gatehouse.web.console.template_sets import router as template_sets_router
from gatehouse.web.console.user_edit import router as user_edit_router
from gatehouse.web.console.users import router as users_router
from gatehouse.web.head import HeadAsGet
from gatehouse.web.mailbox import mailbox_router
from gatehouse.web.nul import NUL_REFUSED
from gatehouse.web.pages import render
from gatehouse.web.service import router as service_router
from gatehouse.web.tenancy import UNKNOWN_HOST

log = logging.getLogger(__name__)
API_PREFIX = "/admin/api/"
STATIC_PATH = "/static"
JSON_PREFIXES = (API_PREFIX, "/service/", "/_mailbox/api/", "/healthz")
HEALTH_OK = {"status": "ok"}
HEALTH_DATABASE_DOWN = {"status": "unavailable", "database": "not answering"}
# Without the database, neither the queue's depth nor whether the host is a tenant's is known.
METRICS_DATABASE_DOWN = "503 Service Unavailable\n\nThe database is not answering.\n"
HEADINGS = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed"}
GENERIC_MESSAGES = {
    "Not Found": "There is no page at this address.",
    "Method Not Allowed": "This page cannot be used that way.",
}


class _RedactLinkTokens(logging.Filter):
    """uvicorn's access log shows each request line: the token of a reset or activation link
    opened in a browser would be logged with it. Replace such values by "[redacted]", also
    under a percent-encoded name (``tok%65n=``), which the application decodes and takes."""

    PARAMETER = re.compile(r"((?:^|[?&])([^?&=\s\"]*)=)([^&\s\"]+)")

    @staticmethod
    def _redacted(match: re.Match[str]) -> str:
        if unquote_plus(match.group(2)) != "token":
            return match.group(0)
        return f"{match.group(1)}[redacted]"

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.PARAMETER.sub(self._redacted, a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


_REDACT_LINK_TOKENS = _RedactLinkTokens()


def create_app(settings: Settings, *, devmail: DevMailServer | None = None) -> FastAPI:
    """The application; its lifespan starts the dev mail server (dev mode), the runtime and the
    worker (unless ``run_worker`` is off), and stops them in reverse order."""
    if settings.dev and devmail is None:
        devmail = DevMailServer(
            settings.data_dir,
            default_port=settings.dev_smtp_default_port,
            custom_port=settings.dev_smtp_custom_port,
        )
    api = create_api()
    logging.getLogger("uvicorn.access").addFilter(_REDACT_LINK_TOKENS)  # once: same instance

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = _start_runtime(settings, devmail)
        app.state.runtime = api.state.runtime = runtime
        worker_task = _start_worker(runtime) if settings.run_worker else None
        if worker_task is None:
            runtime.metrics.without_delivery_figures()
        try:
            yield
        finally:
            if worker_task is not None:
                await _stop_worker(*worker_task, within=stop_seconds(settings))
            await runtime.close()
            if devmail is not None:
                devmail.stop()

    app = FastAPI(title="Gatehouse", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.devmail = devmail
    app.mount(STATIC_PATH, StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.mount("/admin/api/v1", api)
    app.include_router(service_router)
    app.include_router(console_router)
    app.include_router(display_name_router)
    app.include_router(ses_router)  # before mail_server_router: more specific paths
    app.include_router(mail_server_router)
    app.include_router(mail_delivery_router)
    app.include_router(users_router)
    app.include_router(user_edit_router)
    app.include_router(administrators_router)
    app.include_router(link_validity_router)
    app.include_router(template_sets_router)  # issue 6: templates, applications, processes
    app.include_router(email_templates_router)
    app.include_router(applications_router)
    app.include_router(process_settings_router)
    app.include_router(account_router)
    app.include_router(email_code_router)
    app.include_router(registration_router)
    app.include_router(profile_email_router)
    app.include_router(profile_name_router)
    if devmail is not None:
        app.include_router(mailbox_router(devmail, base_domain=settings.base_domain))

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> JSONResponse:
        """Up, and the database answers with this release's migrations: 200; else 503, which
        a load balancer or an orchestrator takes for "not ready" (before, a 500 with a
        traceback in the log; and a process started while the database was away answered
        "ok" over a database it could not use)."""
        runtime: Runtime = request.app.state.runtime
        try:
            async with runtime.sessions() as session:
                await session.execute(select(1))
            problem = None if runtime.schema_current else await schema_problem(runtime.engine)
        except (OSError, SQLAlchemyError) as exc:
            log.warning("health check: the database does not answer: %s", type(exc).__name__)
            return JSONResponse(HEALTH_DATABASE_DOWN, status_code=503)
        if problem is not None:
            log.warning("health check: %s", problem)
            return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
        runtime.schema_current = True
        return JSONResponse(HEALTH_OK)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus text format: queue depth from the database, this process's counters.
        Platform-wide figures are no tenant's business: a tenant's host answers 404."""
        runtime: Runtime = request.app.state.runtime
        try:
            async with runtime.sessions() as session:
                host = request.headers.get("host", "")
                if await tenant_for_host(session, host, base_domain=settings.base_domain):
                    raise HTTPException(status_code=404, detail="Not Found")
                waiting = await session.scalar(
                    select(func.count()).where(OutboxMessage.status.in_(("queued", "sending")))
                )
        except (OSError, SQLAlchemyError) as exc:  # as /healthz: no 500 and traceback per scrape
            log.warning("metrics: the database does not answer: %s", type(exc).__name__)
            return PlainTextResponse(METRICS_DATABASE_DOWN, status_code=503)
        runtime.metrics.queued.set(int(waiting or 0))
        return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    _install_error_pages(app, settings)

    @app.middleware("http")
    async def refuse_nul(request: Request, call_next: Any) -> Response:
        """NUL is in no name, ID, address or template, and PostgreSQL refuses it in text: a
        request carrying one (URL, form, JSON or upload) is a bad request, not a server error."""
        url = request.scope.get("raw_path", b"") + b"?" + request.scope.get("query_string", b"")
        kind = request.headers.get("content-type", "")
        # A multipart form is checked field by field when parsed (gatehouse.web.nul): not read
        # into memory here only to be set aside.
        multipart = kind.startswith("multipart/form-data")
        changes = request.method in ("POST", "PUT", "PATCH")
        body = await request.body() if changes and not multipart else b""
        encoded = b"%00" if kind.startswith("application/x-www-form-urlencoded") else b"\x00"
        escaped = b"\\u0000" if "json" in kind else b"\x00"
        if b"\x00" in url + body or b"%00" in url or encoded in body or escaped in body:
            return _nul_refused(request, body)
        response: Response = await call_next(request)
        return response

    # Around the NUL check above, which reads the whole body (middleware added later wraps).
    app.add_middleware(BodyLimit, json_prefixes=JSON_PREFIXES)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        """No page may be framed by another site (clickjacking of the console's buttons), no
        answer is sniffed as another type, no request carries a referrer (a reset page's
        address holds its token: its own stylesheet's request would log it at a proxy), and
        no answer but a static file is stored by the browser (Back after Sign out would show a
        profile again). Registered after the checks above, so it wraps their answers too."""
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    # Outermost: every GET answer, headers included, also for HEAD; static files answer it.
    app.add_middleware(HeadAsGet, native=(f"{STATIC_PATH}/",))
    return app


def _nul_refused(request: Request, body: bytes) -> Response:
    """400; on the admin API, 422 naming the query parameter or JSON field holding the NUL, as
    the API answers every bad field (the path is no field: a NUL there stays 400)."""
    raw_path: bytes = request.scope.get("raw_path", b"")
    in_path = b"\x00" in raw_path or b"%00" in raw_path
    if request.url.path.startswith(API_PREFIX) and not in_path:
        field = nul_field(request.scope.get("query_string", b""), body)
        if field is not None:
            return JSONResponse({"detail": {"field": field, "message": NUL_REFUSED}}, 422)
    if request.url.path.startswith(JSON_PREFIXES):
        return JSONResponse({"detail": NUL_REFUSED}, status_code=400)
    console = request.url.path.startswith("/admin")
    context = {
        "status_code": 400,
        "heading": HEADINGS[400],
        "message": NUL_REFUSED,
        "back": "/admin" if console else "/",
        "console": console,
        "tenant": None,  # not looked up for a request the routes never see
        "admin": None,
    }
    return render(request, "error.html", context, status_code=400)


def _start_runtime(settings: Settings, devmail: DevMailServer | None) -> Runtime:
    extra_ca: tuple[Path, ...] = ()
    if devmail is not None:
        devmail.start()
        extra_ca = (devmail.ca_file,)
        if not settings.default_smtp_url:
            settings = settings.model_copy(update={"default_smtp_url": devmail.default_smtp_url()})
        _announce_devmail(devmail)
    return build_runtime(settings, extra_ca_files=extra_ca)


def _announce_devmail(devmail: DevMailServer) -> None:
    for listener in devmail.listeners:
        login = (
            f" user={listener.username} password={listener.password}" if listener.username else ""
        )
        log.warning(
            "dev mail listener %s: %s:%s (%s)%s",
            listener.name,
            listener.host,
            listener.port,
            listener.security,
            login,
        )


def _start_worker(runtime: Runtime) -> tuple[Worker, asyncio.Task[None]]:
    worker = Worker(runtime)
    return worker, asyncio.create_task(worker.run(), name="gatehouse-worker")


SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def _stop_worker(worker: Worker, task: asyncio.Task[None], *, within: float) -> None:
    """Let the in-process worker's sends in flight finish (``stop_seconds``: it was a fixed
    35 s, less than a send may take, so such a send was cut short and sent again)."""
    worker.stop()
    try:
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=within)
    except TimeoutError:  # the process ends anyway: say what happens to the mail in hand
        log.warning(
            "the delivery worker did not stop within %g s; the messages it held are sent "
            "once their leases run out",
            within,
        )


def _install_error_pages(app: FastAPI, settings: Settings) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(sign_in_url(request), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(JSON_PREFIXES):
            return JSONResponse(
                {"detail": exc.detail},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        if exc.detail == UNKNOWN_HOST:
            return _unknown_host(request, settings)
        above = _page_above(request) if exc.status_code == 405 else None
        if above is not None:
            return RedirectResponse(above, status_code=303)
        console = request.url.path.startswith("/admin")
        context = {
            "status_code": exc.status_code,
            "heading": HEADINGS.get(exc.status_code, "Error"),
            # Starlette's own detail is the status phrase, which the heading already says.
            "message": GENERIC_MESSAGES.get(str(exc.detail), exc.detail),
            "back": "/admin" if console else "/",
            "console": console,
        }
        context["tenant"], context["admin"] = await _whose_page(request, settings, console=console)
        return render(request, "error.html", context, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": field_of(e), "message": message_of(e)} for e in exc.errors()]
        status = 400 if request.url.path.startswith("/service/") else 422
        return JSONResponse({"detail": errors}, status_code=status)


def _page_above(request: Request) -> str | None:
    """For a GET of a form's action address (shown after the server refused the form with its
    page again, then opened by a reload or from the history): the page the form is on, the
    path one step up, when the application serves it to GET; else None (the 405 page)."""
    if request.method != "GET":
        return None
    above = request.url.path.rsplit("/", 1)[0] or "/"
    if above.startswith(("//", "/\\")):  # never an address another host could be read in
        return None
    scope = {**request.scope, "path": above, "method": "GET"}
    routes = request.app.router.routes
    return above if any(r.matches(scope)[0] is Match.FULL for r in routes) else None


async def _whose_page(
    request: Request, settings: Settings, *, console: bool
) -> tuple[Tenant | None, Admin | None]:
    """The tenant and, on the console, the administrator signed in, for the error page's
    header: known once the route resolved them, else looked up in one session (an address
    that matched no route); without them when the database is away, rather than a 500."""
    tenant: Tenant | None = getattr(request.state, "tenant", None)
    admin: Admin | None = getattr(request.state, "admin", None)
    if admin is not None or (tenant is not None and not console):
        return tenant, admin
    runtime: Runtime = request.app.state.runtime
    try:
        async with runtime.sessions() as session:
            if tenant is None:
                host = request.headers.get("host", "")
                tenant = await tenant_for_host(session, host, base_domain=settings.base_domain)
            if console and tenant is not None:
                with suppress(SignInRequired):
                    admin = await current_admin(request, session, tenant)
    except Exception:
        log.warning("error page: the tenant or administrator could not be looked up", exc_info=True)
    return tenant, admin


def _unknown_host(request: Request, settings: Settings) -> Response:
    """A plain 404 for hosts that are no tenant's; on the bare platform host, a short index."""
    host = request.headers.get("host", "").rsplit(":", 1)[0].lower()
    if host == settings.base_domain and request.url.path == "/" and settings.dev:
        port = f":{request.url.port}" if request.url.port else ""
        return PlainTextResponse(
            "Gatehouse (dev mode)\n\n"
            f"Demo tenant:        http://demo.{settings.base_domain}{port}/\n"
            f"Demo console:       http://demo.{settings.base_domain}{port}/admin\n"
            f"Development mailbox: http://{settings.base_domain}{port}/_mailbox\n"
        )
    context = {"status_code": 404, "heading": HEADINGS[404], "message": UNKNOWN_HOST}
    return render(request, "error.html", context, status_code=404)


__all__ = ["HTTPException", "create_app"]
