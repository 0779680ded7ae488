"""Enqueue an e-mail inside the caller's transaction: it exists exactly when the state change
that caused it commits. Nothing here talks to a mail server."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.mail.models import OutboxMessage


async def enqueue(
    session: AsyncSession,
    *,
    tenant_id: str,
    process: str,
    recipient: str,
    context: dict[str, Any],
    language: str = "en",
    user_id: str | None = None,
    application_id: str | None = None,
    template_set_id: str | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        tenant_id=tenant_id,
        user_id=user_id,
        application_id=application_id,
        template_set_id=template_set_id,
        process=process,
        language=language,
        recipient=recipient,
        context=context,
    )
    session.add(message)
    await session.flush()
    return message
