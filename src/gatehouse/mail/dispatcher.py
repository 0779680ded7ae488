"""Delivery of a claimed batch: count every attempt before sending, resolve each tenant's route
and templates once per batch (now, never cached across batches), send, then record outcomes in
groups and schedule retries or give up.

Database work is per batch, not per message: one transaction starts the batch, and outcomes
are written a group at a time. A crash after the server accepted a message but before its
group was recorded sends it again once the lease expires (at least once, never zero)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import re
import time
import typing
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Table,
    Text,
    bindparam,
    case,
    cast,
    delete,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.db.base import new_id, utcnow
from gatehouse.db.bulk import execute_many
from gatehouse.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UndecryptableSecretError,
)
from gatehouse.mail.addresses import wire_address
from gatehouse.mail.diagnosis import REDACTED
from gatehouse.mail.mime import build_message
from gatehouse.mail.models import (
    FAILED,
    QUEUED,
    SENT,
    DeliveryAttempt,
    MailServerConfig,
    OutboxMessage,
)
from gatehouse.mail.outbox import (
    WITHDRAW_RETRIES_OF_INACTIVE_USERS,
    withdraw_claimed_of_inactive_users,
)
from gatehouse.mail.quoted_secrets import without_secrets
from gatehouse.mail.routing import DEFAULT_OWNER, Route, route_of
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.render import render
from gatehouse.mail.templates.resolve import TemplateSources, Wanted
from gatehouse.mail.transports.base import LeaseRunningOut
from gatehouse.mail.transports.pool import TransportPool
from gatehouse.runtime import Runtime

log = logging.getLogger(__name__)

NOT_TRIED = "Not tried: an e-mail just before it to the same server failed this way."
# The reply another tenant's e-mail got (tenants on the platform default share its connections):
# it may quote that e-mail's recipient, subject or more, so only its code is passed on. The
# replies at these steps answer an e-mail; the others (greeting, EHLO, login) the connection.
MESSAGE_STEPS = frozenset({"mail", "rcpt", "data"})
NOT_TRIED_AFTER_ANOTHER_TENANT = (
    "Not tried: the mail server answered {code} to another tenant's e-mail just before it, on "
    "the same connection; that reply is not shown here."
)
# Told to the tenants on the platform default instead of the diagnosis, which names the
# platform's user name (an access key ID, at some providers) and gives advice meant for a
# tenant's own server; the operator finds the diagnosis in the worker's log.
PLATFORM_LOGIN_FAILED = (
    "The platform's mail server did not accept the platform's login. Only the platform "
    "operator can correct this; the delivery worker's log says why."
)
PLATFORM_LOGIN_FOR_NOW = (
    "The platform's mail server did not accept the platform's login for now. The e-mail is "
    "tried again."
)
PLATFORM_LOGIN_LOGGED = (
    "the platform default mail server (GATEHOUSE_DEFAULT_SMTP_URL) did not accept the login: %s "
    "Every e-mail through it fails until that is corrected."
)
PLATFORM_LOGIN_FOR_NOW_LOGGED = (
    "the platform default mail server (GATEHOUSE_DEFAULT_SMTP_URL) did not accept the login "
    "for now: %s"
)
# A batch's Python work (claimed rows, jobs, attempt rows, outcomes to write) gives the event
# loop back after this many messages: the replies of the batches being sent would otherwise
# wait behind all of it.
GIVE_WAY_EVERY = 100


async def give_way(done: int) -> None:
    """Let other tasks run once every GIVE_WAY_EVERY items (``done`` items so far)."""
    if done and done % GIVE_WAY_EVERY == 0:
        await asyncio.sleep(0)


def retry_delay(attempts: int, *, first: float, most: float) -> float:
    """Jittered exponential backoff after ``attempts`` tries: about ``first`` seconds, twice
    that, four times ... capped at ``most`` (by default 30 s, 60 s, 120 s ... one hour)."""
    base = min(most, first * 2.0 ** max(0, min(attempts - 1, 64)))
    return base * random.uniform(0.8, 1.2)


@dataclasses.dataclass(frozen=True)
class Queued:
    """What delivery needs of one outbox message, read when its batch starts."""

    id: str
    tenant_id: str
    process: str
    language: str
    application_id: str | None
    template_set_id: str | None
    recipient: str
    # As stored: decoded when the message is rendered, not for the whole batch in its claim.
    context_json: str | None
    attempts: int  # including this attempt
    created_at: datetime

    def decoded_context(self) -> dict[str, Any]:
        """What the template needs (links included)."""
        return typing.cast(dict[str, Any], json.loads(self.context_json or "null") or {})

    @property
    def wanted(self) -> Wanted:
        """What decides its template: messages with equal ones render from the same."""
        return Wanted(
            tenant_id=self.tenant_id,
            process=self.process,
            language=self.language,
            application_id=self.application_id,
            template_set_id=self.template_set_id,
        )


@dataclasses.dataclass
class Job:
    """One message of a batch, ready to send (or already known to fail: ``error``)."""

    message: Queued
    attempt_id: str
    route: Route | None
    template: TemplateText | None
    error: DeliveryError | None


@dataclasses.dataclass(frozen=True)
class _Plan:
    """What every message of a batch with one template key shares."""

    route: Route | None
    template: TemplateText | None
    error: DeliveryError | None
    transport: str  # for the attempt rows
    server: str


@dataclasses.dataclass
class Outcome:
    job: Job
    reply: str | None
    error: DeliveryError | None
    duration_ms: int
    # Another message was waiting for the connection this one went over: its lane should
    # send it before this lane prepares its next message.
    connection_wanted: bool = False


# A tenant's password stored under a key since removed from GATEHOUSE_SECRET_KEYS: the
# administrator can enter it again, the operator can put the key back. Before, the tenant saw
# "Internal error (GatehouseError)." and the log a traceback for every batch.
PASSWORD_UNDECRYPTABLE = (
    "The stored password of your mail server can no longer be decrypted: save the "
    "configuration again with its password. Your e-mails wait and are tried again."
)
UNDECRYPTABLE_LOG = (
    "tenant %s: no key of GATEHOUSE_SECRET_KEYS decrypts its mail server password, its e-mails "
    "wait: put back the key it was stored with, or have its administrators enter it again"
)


def _internal(exc: Exception) -> TransientDeliveryError:
    return TransientDeliveryError("internal", f"Internal error ({type(exc).__name__}).")


class Dispatcher:
    def __init__(self, runtime: Runtime, pool: TransportPool) -> None:
        self._runtime = runtime
        self._pool = pool

    async def start(
        self, session: AsyncSession, messages: list[Queued], *, now: datetime
    ) -> list[Job]:
        """Resolve each message's route and template and record its attempt (already counted
        in ``attempts`` by the claim), in the claim's transaction. A message whose user is
        inactive by now is withdrawn instead (no job)."""
        withdrawn = await withdraw_claimed_of_inactive_users(session, [m.id for m in messages])
        messages = [m for m in messages if m.id not in withdrawn]
        # What the batch needs is read in three statements whatever the number of tenants
        # (a lookup per tenant made a batch of many tenants' e-mails as many round trips).
        tenant_ids = {message.tenant_id for message in messages}
        configs = {
            config.tenant_id: config
            for config in await session.scalars(
                select(MailServerConfig).where(MailServerConfig.tenant_id.in_(tenant_ids))
            )
        }
        templates = await TemplateSources.read(session, {m.wanted for m in messages})
        routes: dict[str, Route | DeliveryError] = {}
        plans: dict[Wanted, _Plan] = {}
        jobs, attempt_rows = [], []
        for done, message in enumerate(messages):
            await give_way(done)
            wanted = message.wanted
            plan = plans.get(wanted)
            if plan is None:
                plan = plans[wanted] = self._plan(message, wanted, routes, configs, templates)
            job = Job(
                message=message,
                attempt_id=new_id(),
                route=plan.route,
                template=plan.template,
                error=plan.error,
            )
            jobs.append(job)
            attempt_rows.append(
                {
                    "b_id": job.attempt_id,
                    "b_message": message.id,
                    "b_tenant": message.tenant_id,
                    "b_started": now,
                    "b_transport": plan.transport,
                    "b_server": plan.server,
                }
            )
        await execute_many(await session.connection(), _ATTEMPT_INSERT, attempt_rows)
        return jobs

    def _plan(
        self,
        message: Queued,
        wanted: Wanted,
        routes: dict[str, Route | DeliveryError],
        configs: dict[str, MailServerConfig],
        templates: TemplateSources,
    ) -> _Plan:
        """How the messages wanting ``message``'s template go: each tenant's route and each
        template resolved once for the batch."""
        tenant_id = message.tenant_id
        if tenant_id not in routes:
            routes[tenant_id] = self._route(tenant_id, configs.get(tenant_id))
        resolved, template = routes[tenant_id], self._template(message, wanted, templates)
        error = next((x for x in (resolved, template) if isinstance(x, DeliveryError)), None)
        route = resolved if isinstance(resolved, Route) else None
        return _Plan(
            route=route,
            template=template if isinstance(template, TemplateText) else None,
            error=error,
            transport=route.kind if route else "-",
            server=self._pool.describe(route) if route else "-",
        )

    def _route(self, tenant_id: str, config: MailServerConfig | None) -> Route | DeliveryError:
        try:
            return route_of(
                config,
                tenant_id=tenant_id,
                settings=self._runtime.settings,
                box=self._runtime.secret_box,
            )
        except DeliveryError as exc:
            return exc
        except UndecryptableSecretError:  # that tenant's mail waits for the key or a new entry
            log.error(UNDECRYPTABLE_LOG, tenant_id)
            return TransientDeliveryError("config", PASSWORD_UNDECRYPTABLE)
        except Exception as exc:  # a bug: that tenant's mail waits, others go
            log.exception("resolving the route of tenant %s failed", tenant_id)
            return _internal(exc)

    @staticmethod
    def _template(
        message: Queued, wanted: Wanted, templates: TemplateSources
    ) -> TemplateText | DeliveryError:
        try:
            return templates.resolve(wanted).template
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # a bug must not lose the message: retry it, log the cause
            log.exception("resolving the template of message %s failed", message.id)
            return _internal(exc)

    async def send(self, job: Job, *, lane: int, group: int) -> Outcome:
        """Render and send one job over connection ``lane`` of its tenant (``group`` spreads
        tenants sharing the default server over its connections)."""
        started = time.perf_counter()
        reply, error, wanted = None, job.error, False
        if error is None and job.route is not None and job.template is not None:
            try:
                reply, wanted = await self._send(
                    job, job.route, job.template, lane=lane, group=group
                )
            except LeaseRunningOut:
                raise  # not sent, and not ours to record: the worker leaves it to a later claim
            except DeliveryError as exc:
                error = _without_secrets(exc, job.message)
                if job.route.owner == DEFAULT_OWNER and error.step == "auth":
                    error = _on_platform_login(error)
            except Exception as exc:  # never lose a message to a bug: retry it, log the cause
                log.exception("unexpected error delivering message %s", job.message.id)
                error = _internal(exc)
        duration_ms = int((time.perf_counter() - started) * 1000)
        return Outcome(job, reply, error, duration_ms, connection_wanted=wanted)

    def connection_key(self, route: Route, *, lane: int, group: int) -> str:
        """The connection a job of ``route`` goes over in lane ``lane``, with its route."""
        return f"{self._pool.connection(route, lane=lane, group=group)} {route.key}"

    async def release(self, jobs: list[Job], lease_owner: str) -> None:
        """Back to the queue, unsent (the worker is stopping): the attempt never happened, so
        it is uncounted and its pending row removed. (A message has a lease owner only while
        it is being sent: every outcome clears it. Testing the status too would let
        PostgreSQL's generic plan reach the rows through ``ix_outbox_due`` and compare each
        sending message with the whole list, as the claim did.)"""
        message_ids = [job.message.id for job in jobs]
        async with self._runtime.engine.begin() as connection:
            requeued = await connection.execute(
                REQUEUE, {"b_ids": message_ids, "b_owner": lease_owner}
            )
            back = set(requeued.scalars().all())  # not one another worker holds by now
            attempt_ids = [job.attempt_id for job in jobs if job.message.id in back]
            await connection.execute(delete(_ATTEMPT_TABLE).where(_ATTEMPTS.id.in_(attempt_ids)))

    def not_tried(self, job: Job, failure: DeliveryError, *, found_by: Queued) -> Outcome:
        """The outcome of a job not sent because its connection failed moments earlier, as
        ``found_by``'s try found: retried as that failure is, or failed as it is (not one more
        refused login at the provider, which counts them towards locking the mailbox)."""
        kind = TransientDeliveryError if failure.retryable else PermanentDeliveryError
        text = f"{failure.message} {NOT_TRIED}"
        if found_by.tenant_id != job.message.tenant_id:  # the platform default's connections
            text = _of_another_tenant(failure, found_by.recipient)
        error = kind(failure.step, text, reply_code=failure.reply_code)
        return Outcome(job, None, error, 0)

    async def _send(
        self, job: Job, route: Route, template: TemplateText, *, lane: int, group: int
    ) -> tuple[str, bool]:
        """The server's reply, and whether another message waits for the connection."""
        message = job.message
        sender, recipient = wire_address(route.sender_email), wire_address(message.recipient)
        mime = build_message(
            render(template, message.decoded_context()),
            sender_email=sender,
            sender_name=route.sender_name,
            recipient=recipient,
            reply_to=wire_address(route.reply_to) if route.reply_to else None,
            message_id=message.id,
        )
        transport = self._pool.get(route, lane=lane, group=group)
        reply = await transport.send(mime, sender=sender, recipients=[recipient])
        return reply, transport.in_use

    async def record(self, outcomes: list[Outcome], lease_owner: str) -> None:
        """Write a group of outcomes in one transaction; a message another worker holds by now
        (its lease ran out) is left to that worker."""
        if not outcomes:
            return
        now = utcnow()
        sent_ids, retried_ids, message_rows, attempt_rows = [], [], [], []
        for done, outcome in enumerate(outcomes):
            await give_way(done)
            if outcome.error is None:  # all sent alike: one statement for them below
                status = "sent"
                sent_ids.append(outcome.job.message.id)
            else:
                status, fields = self._unsent_state(outcome, outcome.error, now)
                if status == "retry":
                    retried_ids.append(outcome.job.message.id)
                message_rows.append(
                    {"b_id": outcome.job.message.id, "b_owner": lease_owner, **fields}
                )
            attempt_rows.append(self._attempt_row(outcome, status))
        async with self._runtime.engine.begin() as connection:  # Core: no ORM session needed
            if sent_ids:
                await connection.execute(
                    _SENT_UPDATE, {"b_ids": sent_ids, "b_owner": lease_owner, "b_now": now}
                )
            await execute_many(connection, _MESSAGE_UPDATE, message_rows)
            await execute_many(connection, _ATTEMPT_UPDATE, attempt_rows)
            if retried_ids:  # rare: not on the path of sent messages
                await connection.execute(WITHDRAW_RETRIES_OF_INACTIVE_USERS, {"b_ids": retried_ids})
        for outcome, row in zip(outcomes, attempt_rows, strict=True):
            self._count(str(row["b_outcome"]), outcome.job.message, now)
            log.info(
                "message %s tenant=%s process=%s outcome=%s%s",
                outcome.job.message.id,
                outcome.job.message.tenant_id,
                outcome.job.message.process,
                row["b_outcome"],
                f" step={outcome.error.step}" if outcome.error else "",
            )

    def _unsent_state(
        self, outcome: Outcome, error: DeliveryError, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        """``retry`` or ``failed``, and the message's new columns (as ``b_`` bind parameters)."""
        message = outcome.job.message
        last_error = storable(
            without_secrets(f"{error.step}: {error.message}", message.context_json)
        )
        settings = self._runtime.settings
        give_up_after = timedelta(hours=settings.retry_give_up_hours)
        if error.retryable and now - message.created_at < give_up_after:
            delay = retry_delay(
                message.attempts,
                first=settings.retry_first_seconds,
                most=settings.retry_max_seconds,
            )
            next_at = now + timedelta(seconds=delay)
            return "retry", _state(QUEUED, next_at=next_at, error=last_error)
        if error.retryable:  # a temporary failure, but the e-mail is too old to try again
            last_error = f"{last_error} {gave_up(settings.retry_give_up_hours)}"
        return "failed", _state(FAILED, next_at=now, error=last_error)

    @staticmethod
    def _attempt_row(outcome: Outcome, status: str) -> dict[str, Any]:
        error = outcome.error
        text = error.message if error else outcome.reply
        if text is not None:  # a server may quote the message it refused, links and all
            text = without_secrets(text, outcome.job.message.context_json)
        return {
            "b_id": outcome.job.attempt_id,
            "b_outcome": status,
            "b_duration": outcome.duration_ms,
            "b_step": error.step if error else None,
            "b_code": error.reply_code if error else _reply_code(outcome.reply),
            "b_error": None if text is None else storable(text),
        }

    def _count(self, outcome: str, message: Queued, now: datetime) -> None:
        metrics = self._runtime.metrics
        if outcome == "sent":
            metrics.sent.inc()
            metrics.latency.observe((now - message.created_at).total_seconds())
        elif outcome == "retry":
            metrics.retried.inc()
        else:
            metrics.failed.inc()


def _without_secrets(error: DeliveryError, message: Queued) -> DeliveryError:
    """``error`` without ``message``'s links and code in its text, before anything keeps it:
    the worker also tells the next messages of the same connection why it was not tried,
    in their own attempts (and another tenant's, on the platform default or SES)."""
    text = without_secrets(error.message, message.context_json)
    if text == error.message:
        return error
    return type(error)(error.step, text, reply_code=error.reply_code, timed_out=error.timed_out)


def _of_another_tenant(failure: DeliveryError, recipient: str) -> str:
    """Why a message was not tried, when another tenant's e-mail to ``recipient`` found the
    connection failed: the server's reply to that e-mail (MAIL, RCPT, DATA) by its code alone;
    a failure of the connection itself (refused, timed out, untrusted, a greeting or login
    refused), which quotes no e-mail, as it is, without that recipient (as stored, and as it
    went over the wire) should it name it."""
    if failure.step in MESSAGE_STEPS and failure.reply_code is not None:
        return NOT_TRIED_AFTER_ANOTHER_TENANT.format(code=failure.reply_code)
    text = f"{failure.message} {NOT_TRIED}"
    for address in {recipient, wire_address(recipient)}:
        text = re.sub(re.escape(address), REDACTED, text, flags=re.IGNORECASE)
    return text


def _on_platform_login(error: DeliveryError) -> DeliveryError:
    """The platform default's login refused, or impossible (no AUTH offered, none of its
    methods): the tenant is told that only the operator can correct it, the operator (the
    log) why. One that failed for now (timed out, 454) is retried as it was (its connection
    known as failed), in our words too: a server's reply may quote the platform's user name."""
    if error.retryable:
        log.warning(PLATFORM_LOGIN_FOR_NOW_LOGGED, error.message)
        return TransientDeliveryError(
            "auth", PLATFORM_LOGIN_FOR_NOW, reply_code=error.reply_code, timed_out=error.timed_out
        )
    log.error(PLATFORM_LOGIN_LOGGED, error.message)
    return PermanentDeliveryError("auth", PLATFORM_LOGIN_FAILED, reply_code=error.reply_code)


def gave_up(hours: float) -> str:
    """Why an e-mail failed at a temporary error: the administrator sees that no retry follows."""
    return f"Given up after {hours:g} hour{'' if hours == 1 else 's'} of retries."


def _state(status: str, *, next_at: datetime, error: str) -> dict[str, Any]:
    """The message's new columns (its body is kept for a retry, erased otherwise)."""
    return {"b_status": status, "b_next": next_at, "b_last_error": error}


def storable(text: str) -> str:
    """``text`` as every database takes it: bytes of a server's reply that are not UTF-8
    (which aiosmtplib keeps as surrogates) become U+FFFD, and NUL characters are left out."""
    if text.isascii() and "\x00" not in text:
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace").replace("\x00", "")


def _reply_code(reply: str | None) -> int | None:
    head = (reply or "").split(" ", 1)[0]
    return int(head) if head.isdigit() else None


# Core statements run with db.bulk.execute_many, one row per message: the ORM's bulk UPDATE
# takes no extra WHERE (the lease check), and its per-row work costs more than the database's.
_MESSAGE_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
_ATTEMPT_TABLE: Table = DeliveryAttempt.__table__  # type: ignore[assignment]
_MESSAGES, _ATTEMPTS = _MESSAGE_TABLE.c, _ATTEMPT_TABLE.c
# In the order of Queued's fields, so a row of them builds a Queued positionally.
QUEUED_COLUMNS = [
    cast(_MESSAGES.context, Text) if field.name == "context_json" else _MESSAGES[field.name]
    for field in dataclasses.fields(Queued)
]
_STATUS = bindparam("b_status", type_=_MESSAGES.status.type)
_MESSAGE_UPDATE = (
    update(_MESSAGE_TABLE)
    .where(_MESSAGES.id == bindparam("b_id"), _MESSAGES.lease_owner == bindparam("b_owner"))
    .values(
        status=_STATUS,
        sent_at=None,
        # The body (with its links) is kept as it is for a retry, and erased otherwise: the
        # JSON null a sent message's body becomes too (_SENT_UPDATE's context=None).
        context=case(
            (_STATUS == QUEUED, _MESSAGES.context),
            else_=literal(None, type_=_MESSAGES.context.type),
        ),
        next_attempt_at=bindparam("b_next", type_=_MESSAGES.next_attempt_at.type),
        last_error=bindparam("b_last_error"),
        lease_owner=None,
        lease_until=None,
    )
)
_SENT_UPDATE = (  # every sent message of a group alike: one statement for them all
    update(_MESSAGE_TABLE)
    .where(
        _MESSAGES.id.in_(bindparam("b_ids", expanding=True)),
        _MESSAGES.lease_owner == bindparam("b_owner"),
    )
    .values(
        status=SENT,
        sent_at=bindparam("b_now", type_=_MESSAGES.sent_at.type),
        context=None,
        next_attempt_at=bindparam("b_now", type_=_MESSAGES.next_attempt_at.type),
        last_error=None,
        lease_owner=None,
        lease_until=None,
    )
)
REQUEUE = (  # Dispatcher.release: no status test, see there
    update(_MESSAGE_TABLE)
    .where(
        _MESSAGES.id.in_(bindparam("b_ids", expanding=True)),
        _MESSAGES.lease_owner == bindparam("b_owner"),
    )
    .values(status=QUEUED, lease_owner=None, lease_until=None, attempts=_MESSAGES.attempts - 1)
    .returning(_MESSAGES.id)
)
_ATTEMPT_INSERT = insert(_ATTEMPT_TABLE).values(
    id=bindparam("b_id"),
    message_id=bindparam("b_message"),
    tenant_id=bindparam("b_tenant"),
    started_at=bindparam("b_started", type_=_ATTEMPTS.started_at.type),
    transport=bindparam("b_transport"),
    server=bindparam("b_server"),
    outcome="pending",
)
_ATTEMPT_UPDATE = (
    update(_ATTEMPT_TABLE)
    .where(_ATTEMPTS.id == bindparam("b_id"))
    .values(
        outcome=bindparam("b_outcome"),
        duration_ms=bindparam("b_duration"),
        step=bindparam("b_step"),
        reply_code=bindparam("b_code"),
        error=bindparam("b_error"),
    )
)
