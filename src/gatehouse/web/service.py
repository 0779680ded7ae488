"""Public REST endpoints of a tenant host (``/service/...``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from gatehouse.errors import LimitReachedError
from gatehouse.processes import forgot_password
from gatehouse.processes.password_links import Outcome
from gatehouse.web.account.routes import preferred_language
from gatehouse.web.tenancy import (
    CurrentRuntime,
    CurrentTenant,
    DbSession,
    request_network,
    request_origin,
)
from gatehouse.web.timing import answer_floor

router = APIRouter(prefix="/service", tags=["service"])


class ForgotPasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(
        min_length=1, max_length=254, description="E-mail, login name or user ID"
    )


class ForgotPasswordAnswer(BaseModel):
    message: str


class FieldProblem(BaseModel):
    field: str
    message: str


class BadRequestAnswer(BaseModel):
    detail: list[FieldProblem] | str


@router.post(
    "/users/forgotPassword",
    response_model=ForgotPasswordAnswer,
    responses={
        400: {"model": BadRequestAnswer, "description": "Not a well-formed request"},
        429: {"description": "The client's network asked too often in the last hour"},
    },
)
async def forgot_password_api(
    body: ForgotPasswordRequest,
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
) -> ForgotPasswordAnswer:
    """Always 200 with the same body for a well-formed request, and after about the same time:
    whether the account exists, is inactive, or has reached its e-mail limit stays hidden.
    429 when the client's network asked FORGOT_PASSWORD_PER_CLIENT_HOUR times in the hour,
    whatever it asked for."""
    try:
        outcome = await _request_reset(body, request, session, tenant, runtime)
    except LimitReachedError as exc:
        raise HTTPException(status_code=429, detail=exc.message) from None
    if outcome is Outcome.QUEUED:
        runtime.wake_worker()
    return ForgotPasswordAnswer(message=forgot_password.FORGOT_PASSWORD_ANSWER)


async def _request_reset(
    body: ForgotPasswordRequest,
    request: Request,
    session: DbSession,
    tenant: CurrentTenant,
    runtime: CurrentRuntime,
) -> Outcome:
    async with answer_floor():
        outcome = await forgot_password.request_reset(
            session,
            tenant=tenant,
            identifier=body.identifier,
            origin=request_origin(request, runtime),
            language=preferred_language(request),
            network=request_network(request),
            limit=runtime.settings.forgot_password_per_client_hour,
        )
        await session.commit()
    return outcome
