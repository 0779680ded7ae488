"""The test e-mail: queued through the same outbox, template, configuration and transport as
every real e-mail, so a passing test means real mail will pass too."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from gatehouse.accounts.users import find_by_email
from gatehouse.db.base import utcnow
from gatehouse.errors import ValidationError
from gatehouse.mail.addresses import normalize_email
from gatehouse.mail.models import QUEUED, SENDING, SENT, OutboxMessage
from gatehouse.mail.outbox import enqueue
from gatehouse.mail.templates.types import DEFAULT_LANGUAGE, TEMPLATE_LANGUAGES
from gatehouse.mail.test_limit import TEST_EMAIL_PROCESS, check_test_email_allowed
from gatehouse.mail.worker import Worker
from gatehouse.runtime import Runtime
from gatehouse.tenants.service import get_tenant, tenant_host

# A test e-mail the caller delivers itself (deliver_now) is left that long to it by the running
# workers; one of them sends it after that if the caller died first.
HELD_FOR_CALLER = timedelta(minutes=2)


async def queue_test_email(
    runtime: Runtime,
    *,
    tenant_id: str,
    recipient: str,
    language: str = DEFAULT_LANGUAGE,
    limit: int,
    delivered_here: bool = False,
) -> str:
    """Queue the test e-mail in ``language`` (the administrator's who asked for it; English
    where the platform has no translation); its ID. ``limit`` tests an hour at most for the
    tenant (mail/test_limit.py; 0, the operator's command line: none). ``delivered_here``: the
    caller sends it with deliver_now, which a running worker claiming it first would leave
    reporting "sending" (and sending it with that worker's keys and settings)."""
    recipient = normalize_email(recipient, field="to")
    if language not in TEMPLATE_LANGUAGES:
        raise ValidationError("language", f"Choose one of: {', '.join(TEMPLATE_LANGUAGES)}.")
    async with runtime.sessions.begin() as session:
        tenant = await get_tenant(session, tenant_id)
        await check_test_email_allowed(session, tenant_id=tenant.id, limit=limit)
        origin = runtime.settings.tenant_origin(
            tenant_host(tenant, base_domain=runtime.settings.base_domain)
        )
        # A user of the tenant is greeted by first name; any other address by its local part.
        known = await find_by_email(session, tenant.id, recipient)
        user = {
            "firstName": (known.first_name if known else "") or recipient.split("@", 1)[0],
            "mail": recipient,
            "sp_name": tenant.display_name,
            "ids_home_link": f"{origin}/",
        }
        context = {"user": user}
        message = await enqueue(
            session,
            tenant_id=tenant.id,
            process=TEST_EMAIL_PROCESS,
            recipient=recipient,
            context=context,
            language=language,
            not_before=utcnow() + HELD_FOR_CALLER if delivered_here else None,
        )
    if not delivered_here:
        runtime.wake_worker()
    return message.id


# deliver_now could not take its message: the tenant's connections are another worker's for
# now, or its rate limit is used up. The hold ends, so the workers send it when they may.
LEFT_TO_WORKERS = (
    "queued: a running worker holds the tenant's connections, or its rate limit is reached; "
    "the workers will send it"
)
BEING_SENT = "sending: a running worker is sending it"
# Its own outcome was not written (the database away): it may have been sent, and is sent
# again once its lease runs out.
NOT_RECORDED = (
    "sending: its outcome could not be recorded; it is sent again once its lease runs out"
)


async def deliver_now(runtime: Runtime, message_id: str) -> str:
    """Deliver this one message in-process; a one-line outcome for a person."""
    worker = Worker(runtime)
    try:
        taken = await worker.run_once(only=message_id)
    finally:
        await worker.close()
    if not taken and await _release_hold(runtime, message_id):
        return LEFT_TO_WORKERS
    async with runtime.sessions() as session:
        message = await session.get(OutboxMessage, message_id)
    if message is None:
        raise ValidationError("message", "The message no longer exists.")
    if message.status == SENT:
        return f"sent to {message.recipient}"
    if message.status == SENDING:
        return NOT_RECORDED if taken else BEING_SENT
    return f"{message.status}: {message.last_error or 'not delivered yet'}"


async def _release_hold(runtime: Runtime, message_id: str) -> bool:
    """Make the message due now if it is still untried (no worker took it meanwhile, whose
    retry's delay this would undo); whether it was."""
    async with runtime.sessions.begin() as session:
        released = await session.scalar(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == QUEUED,
                OutboxMessage.attempts == 0,
            )
            .values(next_attempt_at=utcnow())
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    return released is not None
