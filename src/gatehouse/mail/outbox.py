"""Enqueue an e-mail inside the caller's transaction: it exists exactly when the state change
that caused it commits; withdraw a user's e-mails not sent yet the same way. Nothing here talks
to a mail server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, update
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.mail.models import FAILED, QUEUED, OutboxMessage

USER_DEACTIVATED = "The user was deactivated before the e-mail was sent."
# What a withdrawn message becomes, however it was withdrawn: failed, saying why, its body
# (with its links) erased as a failed message's is.
_WITHDRAWN = {"status": FAILED, "last_error": USER_DEACTIVATED, "context": None}


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
    not_before: datetime | None = None,
) -> OutboxMessage:
    """The e-mail, due at once or, for the workers' claims, not before ``not_before``."""
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
    if not_before is not None:
        message.next_attempt_at = not_before
    session.add(message)
    await session.flush()
    return message


async def withdraw_user_mail(session: AsyncSession, *, tenant_id: str, user_id: str) -> None:
    """The deactivated user's e-mails waiting for a first try or a retry are withdrawn, so that
    the worker never sends them. One a worker holds already (sending) is sent or fails as it
    goes; if it is queued again for a retry, the worker withdraws it
    (WITHDRAW_RETRIES_OF_INACTIVE_USERS), and so does any claim of it later
    (withdraw_claimed_of_inactive_users)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.user_id == user_id,
            OutboxMessage.status == QUEUED,
        )
        .values(_WITHDRAWN)
    )


def _user_inactive() -> ColumnElement[bool]:
    return exists().where(
        User.tenant_id == OutboxMessage.tenant_id,
        User.id == OutboxMessage.user_id,
        User.status == "inactive",
    )


# The worker's check after it queued messages again for a retry: one that was being sent when
# its user was deactivated (withdraw_user_mail leaves it to the worker) is withdrawn now.
WITHDRAW_RETRIES_OF_INACTIVE_USERS = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id.in_(bindparam("b_ids", expanding=True)),
        OutboxMessage.status == QUEUED,
        _user_inactive(),
    )
    .values(_WITHDRAWN)
    .execution_options(synchronize_session=False)
)


async def withdraw_claimed_of_inactive_users(
    session: AsyncSession, message_ids: list[str]
) -> set[str]:
    """Of the messages a worker has just claimed, those whose user is inactive fail as
    withdraw_user_mail fails them, their attempt uncounted; their IDs are returned. So a
    message a worker held when its user was deactivated (released unsent, queued for a
    retry, or left by a worker that died) is never sent. Runs in the claim's transaction."""
    if not message_ids:
        return set()
    withdrawn = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), _user_inactive())
        .values(
            {
                **_WITHDRAWN,
                "lease_owner": None,
                "lease_until": None,
                "attempts": OutboxMessage.attempts - 1,
            }
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(withdrawn)
