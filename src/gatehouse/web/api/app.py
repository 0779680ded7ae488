"""The admin REST API, mounted at ``/admin/api/v1`` (OpenAPI at ``/admin/api/v1/openapi.json``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from gatehouse.errors import (
    ConflictError,
    DeliveryError,
    LimitReachedError,
    NotFoundError,
    ValidationError,
)
from gatehouse.web.api import (
    applications,
    invitations,
    mail_server,
    messages,
    ses_domains,
    template_sets,
    users,
)
from gatehouse.web.api.auth import ApiCaller, current_client
from gatehouse.web.api.schema_messages import plain_message

BODY_NOT_OBJECT = "The body must be a JSON object, sent with Content-Type: application/json."


class TenantInfo(BaseModel):
    id: str
    display_name: str
    region: str
    license_type: str
    created_at: datetime


class ErrorAnswer(BaseModel):
    detail: str


class Problem(BaseModel):
    """What a 422 names: the ``field`` (with ``line``, ``column`` and ``problems`` for a
    template) or the probe ``step`` that failed, and the message."""

    model_config = ConfigDict(extra="allow")
    field: str | None = None
    step: str | None = None
    message: str


class ProblemAnswer(BaseModel):
    detail: Problem


# The error answers every endpoint may give, documented so clients (and schema checks) see them.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorAnswer, "description": "The body is not well-formed JSON"},
    401: {"model": ErrorAnswer, "description": "No or invalid client credentials"},
    403: {"model": ErrorAnswer, "description": "The client lacks the authorization"},
    404: {"model": ErrorAnswer, "description": "No such resource in this tenant"},
    409: {"model": ErrorAnswer, "description": "Conflicts with the current state"},
    422: {"model": ProblemAnswer, "description": "A field, template or probe step is wrong"},
}


def create_api() -> FastAPI:
    api = FastAPI(
        title="Gatehouse admin API",
        version="1",
        description="Tenant administration. HTTP Basic with an API client's ID and secret.",
        # No Swagger UI: it runs swagger-ui from a CDN on the tenant's origin, where a script
        # acts with the console's cookie. The schema is at /openapi.json for any client.
        docs_url=None,
        redoc_url=None,
    )

    @api.get("/tenant", response_model=TenantInfo, tags=["tenant"], responses=ERROR_RESPONSES)
    async def tenant_info(caller: Annotated[ApiCaller, Depends(current_client)]) -> TenantInfo:
        """The tenant the calling client belongs to."""
        t = caller.tenant
        return TenantInfo(
            id=t.id,
            display_name=t.display_name,
            region=t.region,
            license_type=t.license_type,
            created_at=t.created_at,
        )

    # ses_domains before mail_server: its paths are more specific
    api.include_router(ses_domains.router, responses=ERROR_RESPONSES)
    api.include_router(mail_server.router, responses=ERROR_RESPONSES)
    api.include_router(messages.router, responses=ERROR_RESPONSES)
    api.include_router(users.router, responses=ERROR_RESPONSES)
    api.include_router(template_sets.router, responses=ERROR_RESPONSES)
    api.include_router(applications.router, responses=ERROR_RESPONSES)
    api.include_router(invitations.router, responses=ERROR_RESPONSES)
    _install_error_answers(api)
    return api


def _install_error_answers(api: FastAPI) -> None:
    """422 answers name the field (bad input) or the probe step (server check failed)."""

    @api.exception_handler(ValidationError)
    async def field_error(request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse({"detail": {"field": exc.field, "message": exc.message}}, 422)

    @api.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 404)

    @api.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 409)

    @api.exception_handler(LimitReachedError)
    async def limit_reached(request: Request, exc: LimitReachedError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, 429)

    @api.exception_handler(DeliveryError)
    async def probe_error(request: Request, exc: DeliveryError) -> JSONResponse:
        return JSONResponse({"detail": {"step": exc.step, "message": exc.message}}, 422)

    @api.exception_handler(RequestValidationError)
    async def schema_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        return JSONResponse(
            {"detail": {"field": field_of(first), "message": message_of(first)}}, 422
        )


def field_of(error: Mapping[str, Any]) -> str:
    """The field a request validation error is about; ``body`` for the body as a whole (a
    body that is no JSON at all is located at a character position, not a field)."""
    names = [] if error["type"] == "json_invalid" else error["loc"][1:]
    return ".".join(str(part) for part in names) or "body"


def message_of(error: Mapping[str, Any]) -> str:
    """The error in the service's words (``schema_messages``); for the body as a whole (none,
    no object, or not sent as JSON: only an application/json body is parsed) what it must be,
    not pydantic's "Input should be a valid dictionary or object to extract fields from", which
    a form-encoded body of curl -d without a content type got."""
    if tuple(error["loc"]) == ("body",):
        return BODY_NOT_OBJECT
    return plain_message(error)


def nul_field(query: bytes, body: bytes) -> str | None:
    """The field holding a NUL character, named as ``field_of`` names fields: a query
    parameter, else the JSON body's dotted path; ``body`` for a body that is no JSON, or whose
    strings hold none (the guard's byte check also takes a ``\\u0000`` text for one). None for
    a NUL in a parameter's name: no field holds it."""
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name:
            return None
        if "\x00" in value:
            return name
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # a raw NUL byte (JSON refuses control characters
        return "body"  # in strings), or nesting deeper than the parser goes: before sign-in
    path = _nul_path(document)
    return ".".join(path) if path else "body"


def _nul_path(document: object) -> tuple[str, ...] | None:
    """Where the first string holding a NUL is (a key holding one: the object it names). A
    walk of its own, not recursion: the document comes from anyone, before sign-in."""
    pending: list[tuple[object, tuple[str, ...]]] = [(document, ())]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
            continue
        if isinstance(value, dict):
            entries = [(str(key), item) for key, item in value.items()]
        elif isinstance(value, list):
            entries = [(str(index), item) for index, item in enumerate(value)]
        else:
            continue
        for key, _ in entries:
            if "\x00" in key:
                return path
        pending += [(item, (*path, key)) for key, item in reversed(entries)]  # first one next
    return None
