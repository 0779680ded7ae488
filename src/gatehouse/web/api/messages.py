"""``/admin/api/v1/messages``: the tenant's e-mails and their delivery attempts (no bodies)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from gatehouse.accounts.authorizations import Authorization
from gatehouse.mail import delivery_log
from gatehouse.mail.models import DeliveryAttempt, OutboxMessage
from gatehouse.web.api.auth import ApiCaller, require_client
from gatehouse.web.tenancy import DbSession

router = APIRouter(prefix="/messages", tags=["messages"])
Caller = Annotated[ApiCaller, require_client(Authorization.MANAGE_TENANT_CONFIGURATION)]


TEMPLATE_TEST = Field(
    description="The test of one template, sent from its page with sample values (process is "
    "the template's type)"
)


class MessageSummary(BaseModel):
    id: str
    status: str
    recipient: str
    process: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


class AttemptView(BaseModel):
    started_at: datetime
    duration_ms: int | None
    transport: str
    server: str
    outcome: str
    step: str | None
    reply_code: int | None
    reply: str | None = Field(description="The server's reply to an e-mail it accepted")
    error: str | None = Field(description="Why the attempt did not deliver (redacted)")

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptView:
        """One attempt row: its text is the server's reply when the e-mail was sent, else the
        diagnosis."""
        sent = attempt.outcome == "sent"
        return cls(
            started_at=attempt.started_at,
            duration_ms=attempt.duration_ms,
            transport=attempt.transport,
            server=attempt.server,
            outcome=attempt.outcome,
            step=attempt.step,
            reply_code=attempt.reply_code,
            reply=attempt.error if sent else None,
            error=None if sent else attempt.error,
        )


class MessageDetail(BaseModel):
    """One message; here ``attempts`` is the list of attempts, ``attempt_count`` their number."""

    id: str
    status: str
    recipient: str
    process: str
    template_test: bool = TEMPLATE_TEST
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    attempt_count: int
    attempts: list[AttemptView]


class MessageList(BaseModel):
    messages: list[MessageSummary]
    total: int
    page: int
    pages: int


def _summary(message: OutboxMessage) -> dict[str, object]:
    return {
        "id": message.id,
        "status": message.status,
        "recipient": message.recipient,
        "process": message.process,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "attempts": message.attempts,
        "last_error": message.last_error,
    }


@router.get("", response_model=MessageList)
async def list_messages(
    caller: Caller,
    session: DbSession,
    status: Annotated[str | None, Query(description="queued, sending, sent or failed")] = None,
    recipient: Annotated[str | None, Query(max_length=254)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> MessageList:
    """Newest first, 25 a page; filter by status and by part of the recipient address."""
    listing = await delivery_log.list_messages(
        session,
        tenant_id=caller.tenant.id,
        status=status or None,
        recipient=recipient or None,
        page=page,
    )
    return MessageList(
        messages=[MessageSummary.model_validate(_summary(m)) for m in listing.messages],
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
    )


@router.get("/{message_id}", response_model=MessageDetail)
async def get_message(caller: Caller, session: DbSession, message_id: str) -> MessageDetail:
    """One e-mail with every attempt (time, server, duration, reply code, redacted error)."""
    found = await delivery_log.get_message(
        session, tenant_id=caller.tenant.id, message_id=message_id
    )
    if found is None:
        raise HTTPException(status_code=404, detail="There is no such e-mail in this tenant.")
    message, attempts = found
    return MessageDetail.model_validate(
        {
            **_summary(message),
            "template_test": message.template_set_id is not None,
            "next_attempt_at": message.next_attempt_at if message.status == "queued" else None,
            "attempt_count": message.attempts,
            "attempts": [AttemptView.of(attempt) for attempt in attempts],
        }
    )
