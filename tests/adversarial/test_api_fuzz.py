"""API fuzzing with schemathesis: every operation of the admin REST API's OpenAPI schema and the
public POST /service/users/forgotPassword, on a live server, authenticated as an API client
holding every authorization, with valid and invalid data (path parameters random or naming the
tenant's real resources). No answer is a 5xx; every answer's status, content type and body
conform to the schema. Operations that make the server connect to a tenant-chosen host (a
custom mail server saved or tested) only ever get the loopback test SMTP server as host."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gatehouse.web.api.app import create_api
from tests.adversarial.world import World, build_world
from tests.support.live import LiveServer
from tests.support.smtp_servers import IGNORE_IMPLICIT_TLS_AUTH_WARNING, Pki, SmtpServer

pytestmark = pytest.mark.filterwarnings(IGNORE_IMPLICIT_TLS_AUTH_WARNING)

API = "/admin/api/v1"
EXAMPLES = int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that open a connection to the host named in the request body.
CONNECTING = {("PUT", "/mail-server"), ("POST", "/mail-server/test")}
SMTP_LOGIN = ("fuzz", "Fuzz-Pass-1")


def admin_schema() -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(create_api().openapi())


def public_schema(document: dict[str, Any]) -> schemathesis.BaseSchema:
    """The main app's schema reduced to its public JSON endpoint."""
    paths = {"/service/users/forgotPassword": document["paths"]["/service/users/forgotPassword"]}
    return schemathesis.openapi.from_dict({**document, "paths": paths})


ADMIN = admin_schema()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in ADMIN.raw_schema["paths"].items()
    for method in methods
)


@pytest.fixture
def world(live: LiveServer) -> World:
    return build_world(live, "fuzz", "Fuzz Corp Falcon")


@pytest.fixture
def smtp(smtp_pki: Pki) -> Iterator[SmtpServer]:
    """The only mail server the fuzzer may point a configuration at: loopback, trusted CA."""
    with SmtpServer(smtp_pki, security="ssl", credentials=SMTP_LOGIN) as server:
        yield server


def test_the_served_schema_is_the_one_fuzzed(live: LiveServer) -> None:
    """/admin/api/v1/openapi.json on the live server is the schema the tests generate from
    (the server adds only its mount point)."""
    with live.client("demo") as client:
        served = client.get(f"{API}/openapi.json").json()
    assert served.pop("servers") == [{"url": API}]
    assert served == ADMIN.raw_schema


def pin_host(case: Any, port: int) -> Any:
    """A body that would make the server connect gets the loopback test server as host."""
    if isinstance(case.body, dict):
        case.body["host"] = "127.0.0.1"
        case.body["port"] = port
    return case


def strategy_for(operation: Any, world: World, port: int) -> st.SearchStrategy[Any]:
    real = {
        name: value
        for name, value in world.path_values().items()
        if f"{{{name}}}" in operation.path
    }
    parts = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    if real:
        parts.append(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=real)
        )
    strategy = st.one_of(parts)
    if (operation.method.upper(), operation.path) in CONNECTING:
        strategy = strategy.map(lambda case: pin_host(case, port))
    return strategy


def run_fuzz(operation: Any, strategy: st.SearchStrategy[Any], call: Any) -> list[str]:
    """Run ``EXAMPLES`` cases; returns the failures (schemathesis' messages)."""
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        response = call(case)
        try:
            case.validate_response(response, checks=CHECKS)
        except AssertionError as exc:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}\n{exc}")

    fuzz()
    return failures


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_admin_api_operation_survives_fuzzing(
    live: LiveServer,
    world: World,
    smtp: SmtpServer,
    method: str,
    path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Generated valid and invalid requests to one admin API operation: no 5xx, status,
    content type and body as the schema says, and no name resolved but loopback ones."""
    operation = ADMIN[path][method]
    strategy = strategy_for(operation, world, smtp.port)
    headers = {"host": f"{world.tenant_id}.localhost:{live.port}"}
    base = f"http://127.0.0.1:{live.port}{API}"

    def call(case: Any) -> Any:
        return case.call(base_url=base, headers=headers, auth=world.auth, timeout=30)

    resolved: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def recording(host: Any, *args: Any, **kwargs: Any) -> Any:
        resolved.append(str(host))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)  # the live server shares the process
    failures = run_fuzz(operation, strategy, call)
    assert not failures, f"{len(failures)} failing case(s):\n" + "\n\n".join(failures[:5])
    assert set(resolved) <= {"127.0.0.1", "localhost", "None"}, set(resolved)
    if (method, path) in CONNECTING:
        assert "127.0.0.1" in resolved  # the pinned server was really probed


def test_public_forgot_password_survives_fuzzing(live: LiveServer, world: World) -> None:
    """POST /service/users/forgotPassword with generated bodies: no 5xx, as the schema says."""
    with live.client(world.tenant_id) as client:
        document = client.get("/openapi.json").json()
    operation = public_schema(document)["/service/users/forgotPassword"]["POST"]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    headers = {"host": f"{world.tenant_id}.localhost:{live.port}"}

    def call(case: Any) -> Any:
        return case.call(base_url=f"http://127.0.0.1:{live.port}", headers=headers, timeout=30)

    failures = run_fuzz(operation, strategy, call)
    assert not failures, f"{len(failures)} failing case(s):\n" + "\n\n".join(failures[:5])
