"""``/admin/api/v1/mail-server``: read, save (validate -> probe -> store), remove, probe an
unsaved configuration, and the change log. Same rules and messages as the console page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import ValidationError
from gatehouse.mail import config as mail_config
from gatehouse.mail.configure import CONFIGURATION_REMOVED, probe_custom, save_custom, save_ses
from gatehouse.web.api.auth import ApiCaller, require_client
from gatehouse.web.tenancy import CurrentRuntime, DbSession

router = APIRouter(prefix="/mail-server", tags=["mail-server"])
Caller = Annotated[ApiCaller, require_client(Authorization.MANAGE_TENANT_CONFIGURATION)]


ONLY_CUSTOM_TESTED = "Only a custom mail server can be tested."


class MailServerInput(BaseModel):
    """``mode`` custom: a custom server; ``password`` is write-only: omit it to keep the stored
    one (allowed only while host, port, security and user name stay the same). ``mode`` ses: the
    platform's Amazon SES with From and Reply to on the platform's or a verified domain.
    ``mode`` default: remove the configuration. Numbers are JSON numbers: lax parsing read
    ``true`` as port 1 and ``"120"`` as a rate limit."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["custom", "ses", "default"] = "custom"
    host: str | None = None
    port: StrictInt | None = None
    security: Literal["ssl", "starttls"] = "ssl"
    authentication: Literal["none", "password"] = "password"
    username: str | None = None
    password: str | None = Field(default=None, json_schema_extra={"writeOnly": True})
    sender_email: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    rate_limit_per_minute: StrictInt | None = None
    from_username: str | None = None
    from_domain: str | None = None
    reply_to_username: str | None = None
    reply_to_domain: str | None = None


SES_FIELDS = {"from_username", "from_domain", "reply_to_username", "reply_to_domain"}


class MailServerView(BaseModel):
    mode: Literal["default", "custom", "ses"]
    host: str | None = None
    port: int | None = None
    security: str | None = None
    authentication: str | None = None
    username: str | None = None
    password_set: bool = False
    sender_email: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    rate_limit_per_minute: int | None = None
    from_username: str | None = None
    from_domain: str | None = None
    reply_to_username: str | None = None
    reply_to_domain: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


NOTHING_REMOVED = "No configuration to remove: the default mail server is in use."


class RemoveAnswer(BaseModel):
    mode: Literal["default"]
    message: str


class ProbeAnswer(BaseModel):
    result: Literal["passed"]
    message: str
    steps: list[str]


class ChangeEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    changes: dict[str, Any]


class ChangeLog(BaseModel):
    changes: list[ChangeEntry]


@router.get("", response_model=MailServerView)
async def get_mail_server(caller: Caller, session: DbSession) -> MailServerView:
    """The configuration in force; the password is never returned, only ``password_set``."""
    current = await mail_config.get_config(session, caller.tenant.id)
    return MailServerView(**mail_config.public_view(current))


@router.put("", response_model=MailServerView | RemoveAnswer)
async def put_mail_server(
    body: MailServerInput, caller: Caller, session: DbSession, runtime: CurrentRuntime
) -> MailServerView | RemoveAnswer:
    """Validate, probe the server, and store only if every check passed (422 otherwise)."""
    if body.mode == "default":
        return await delete_mail_server(caller, session)
    if body.mode == "ses":
        config = await save_ses(
            runtime,
            session,
            tenant_id=caller.tenant.id,
            actor=caller.actor,
            raw=body.model_dump(include=SES_FIELDS),
        )
        return MailServerView(**mail_config.public_view(config))
    config = await save_custom(
        runtime,
        session,
        tenant_id=caller.tenant.id,
        actor=caller.actor,
        raw=body.model_dump(exclude={"mode", *SES_FIELDS}),
    )
    return MailServerView(**mail_config.public_view(config))


@router.delete("", response_model=RemoveAnswer)
async def delete_mail_server(caller: Caller, session: DbSession) -> RemoveAnswer:
    """Return to the platform's default mail server; sent again (or with nothing configured),
    the same 200, saying that nothing was removed, as the console says nothing then."""
    removed = await mail_config.remove_config(
        session, tenant_id=caller.tenant.id, actor=caller.actor
    )
    await session.commit()
    return RemoveAnswer(
        mode="default", message=CONFIGURATION_REMOVED if removed else NOTHING_REMOVED
    )


@router.post("/test", response_model=ProbeAnswer)
async def test_mail_server(
    body: MailServerInput, caller: Caller, session: DbSession, runtime: CurrentRuntime
) -> ProbeAnswer:
    """Probe an unsaved custom configuration; nothing is stored. SES and the default server
    are the platform's, with nothing of the tenant's to probe."""
    if body.mode != "custom":  # it was probed as a custom server, from the fields it had
        raise ValidationError("mode", ONLY_CUSTOM_TESTED)
    report = await probe_custom(
        runtime,
        session,
        tenant_id=caller.tenant.id,
        raw=body.model_dump(exclude={"mode", *SES_FIELDS}),
    )
    return ProbeAnswer(result="passed", message=report.message, steps=list(report.steps))


@router.get("/changes", response_model=ChangeLog)
async def mail_server_changes(caller: Caller, session: DbSession) -> ChangeLog:
    """Who changed the configuration, when, and to what (secrets only as "changed")."""
    rows = await audit.entries(session, tenant_id=caller.tenant.id, resource=mail_config.RESOURCE)
    return ChangeLog(
        changes=[
            ChangeEntry(at=r.at, actor=r.actor, action=r.action, changes=r.changes) for r in rows
        ]
    )
