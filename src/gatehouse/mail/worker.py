"""The delivery loop: claim due messages with a lease, deliver them, repeat; stop gracefully.

Claims are safe with any number of workers: candidates are picked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, which holds them locked until the claim commits), then taken with an UPDATE (which on
SQLite checks again that they are still due), so two workers never hold the same message. A
worker that dies leaves a lease that expires; the message is retried."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, Table, Update, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from gatehouse.db.base import utcnow
from gatehouse.db.engine import is_sqlite
from gatehouse.db.unreachable import unreachable_reason
from gatehouse.errors import DeliveryError
from gatehouse.housekeeping import purge_expired
from gatehouse.mail import affinity, ratelimit
from gatehouse.mail.dispatcher import (
    QUEUED_COLUMNS,
    Dispatcher,
    Job,
    Outcome,
    Queued,
    give_way,
)
from gatehouse.mail.models import QUEUED, SENDING, MailServerConfig, OutboxMessage
from gatehouse.mail.recorder import FLUSH_SECONDS, DatabaseBehind, OutcomeRecorder
from gatehouse.mail.retention import PURGE_EVERY_SECONDS, purge_delivery_log
from gatehouse.mail.templates.render import compile_parts, compiled
from gatehouse.mail.templates.threads import off_loop
from gatehouse.mail.transports.base import SEND_NOT_AFTER, LeaseRunningOut, check_send_deadline
from gatehouse.mail.transports.pool import TransportPool
from gatehouse.mail.transports.smtp import transaction_seconds
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings

log = logging.getLogger(__name__)
PIPELINE_DEPTH = 3  # batches in hand: the next are claimed and started while one is sent
# A tenant fills at most all but one of them: a tenant whose server is slow (and whose backlog
# is old) cannot hold every batch in hand while other tenants' e-mail waits.
TENANT_BATCHES = PIPELINE_DEPTH - 1
# With nothing in hand the first batch is small: its first e-mail leaves after a short claim
# (the next, full batches are claimed while it is sent).
FIRST_BATCH = 50
# A batch whose other tenants are done no longer counts against PIPELINE_DEPTH while one
# tenant's lanes finish (a slow server must not hold a batch slot); this many in hand at most.
MAX_IN_HAND = 3 * PIPELINE_DEPTH
# A tenant left alone in a settled batch this long has a slow server: it is not claimed again
# until those lanes are done. (One that is merely last keeps being claimed, so its connection
# stays busy.)
LINGER_SECONDS = 1.0
# How long a stopping worker keeps trying to write outcomes kept while the database was away.
KEPT_SECONDS_AT_STOP = 5.0


def stop_seconds(settings: Settings) -> float:
    """The longest a stopping worker needs: a send in flight (its connection being opened,
    then its transaction), then its last tries at kept outcomes; 60 s by default."""
    sending = settings.smtp_connect_timeout + transaction_seconds(settings.smtp_timeout)
    return sending + KEPT_SECONDS_AT_STOP


# Every e-mail of the tenants on the platform's default server then waits ("No default mail
# server is configured"), until the setting is made or the e-mail is too old to try: said at
# start, not first in the tenants' delivery logs. In dev mode only `serve` has the development
# mail server; a `gatehouse worker` has none either.
NO_DEFAULT_SERVER_AT_START = (
    "delivery worker %s: GATEHOUSE_DEFAULT_SMTP_URL is not set, so every e-mail of the tenants "
    "on the platform's default server waits for it"
)

PURGED = (
    "delivery worker %s: the e-mails last tried more than %d days ago deleted from the delivery "
    "log: %d"
)
PURGE_FAILED = "delivery worker %s: purging old rows failed (%s); tried again in an hour"

NO_SES_AT_START = (
    "delivery worker %s: GATEHOUSE_SES_REGION and GATEHOUSE_SES_DEFAULT_DOMAIN are not both set, "
    "so the e-mails of the tenants on Amazon SES (%d) wait when this worker claims them"
)

# After a lease renewal failed, the next try.
RENEW_RETRY_SECONDS = 5.0


class Worker:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.owner = uuid.uuid4().hex
        self._pool = TransportPool(runtime.settings, runtime.tls_context)
        self._dispatcher = Dispatcher(runtime, self._pool)
        self._recorder = OutcomeRecorder(self._dispatcher, self.owner)
        self._stopping = asyncio.Event()
        self._in_hand: Counter[str] = Counter()  # messages in hand (not yet sent) per tenant
        # Never claimed again while in hand, even if a lease ran out while its batch waited.
        self._held_ids: set[str] = set()
        # When each tenant's lanes became all that is left of a settled batch.
        self._lingering: defaultdict[str, list[float]] = defaultdict(list)
        self._settled = 0  # settled batches in hand
        self._progress = asyncio.Event()  # a batch in hand settled
        # One lane holds one connection: at most this many send at once, batches in hand
        # together, so the pool's cap on open connections is never forced.
        self._lanes = asyncio.Semaphore(runtime.settings.worker_max_connections)

    def stop(self) -> None:
        """Finish the sends in flight, queue the other messages in hand again, then return from
        run()."""
        self._stopping.set()
        self._runtime.wake_worker()

    async def run(self) -> None:
        """Deliver until stop(); the batches in hand are finished first (SIGTERM)."""
        log.info("delivery worker %s started", self.owner)
        if not self._runtime.settings.default_smtp_url:
            log.warning(NO_DEFAULT_SERVER_AT_START, self.owner)
        await self._warn_without_ses()
        purging = asyncio.create_task(self._purge_hourly())
        try:
            await self._pump(until_idle=False)
        finally:
            purging.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purging
            await self.close()

    async def _warn_without_ses(self) -> None:
        """Said at start, not first in the tenants' delivery logs: tenants on Amazon SES whose
        e-mails this worker, lacking the platform's SES settings, can only put off."""
        if self._runtime.settings.ses_available:
            return
        try:
            async with self._runtime.sessions() as session:
                tenants = await session.scalar(
                    select(func.count())
                    .select_from(MailServerConfig)
                    .where(MailServerConfig.mode == "ses")
                )
        except (OSError, SQLAlchemyError):  # the database away: the claims will say so
            return
        if tenants:
            log.warning(NO_SES_AT_START, self.owner, tenants)

    async def _purge_hourly(self) -> None:
        """The delivery log's old e-mails (mail/retention.py) and the rows whose use is over
        (housekeeping.py) deleted at start and every hour."""
        days = self._runtime.settings.delivery_log_days
        sessions, locking = self._runtime.sessions, not is_sqlite(self._runtime.engine)
        while True:
            try:
                purged = await purge_delivery_log(sessions, days=days, locking=locking)
                if purged:
                    log.info(PURGED, self.owner, days, purged)
                await purge_expired(sessions, locking=locking)
            except Exception as exc:  # tried again with the next hour's purge
                if unreachable_reason(exc) is None:  # else the claims say so, once per try
                    log.warning(PURGE_FAILED, self.owner, type(exc).__name__)
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    async def drain(self) -> int:
        """Deliver until nothing is due and nothing is in hand; how many were handled."""
        return await self._pump(until_idle=True)

    async def close(self) -> None:
        await self._write_kept()
        await self._pool.close()
        log.info("delivery worker %s stopped", self.owner)

    async def _write_kept(self) -> None:
        """Last tries, for a few seconds, at writing outcomes kept while the database was
        away (within ``stop_seconds``; a cancelled flush keeps its outcomes)."""
        try:
            async with asyncio.timeout(KEPT_SECONDS_AT_STOP):
                while self._recorder.behind:
                    with contextlib.suppress(DatabaseBehind):
                        await self._recorder.flush()
                    if self._recorder.behind:
                        await asyncio.sleep(0.5)
        except TimeoutError:
            log.error(
                "delivery worker %s: %d outcomes not written; those messages are sent again "
                "once their leases run out",
                self.owner,
                len(self._recorder.unwritten),
            )

    async def run_once(self, *, only: str | None = None) -> int:
        """Claim one batch (or just message ``only``) and deliver it; how many were handled."""
        leased_at = time.monotonic()
        jobs = await self.take(only=only)
        if jobs:
            await self._deliver(jobs, leased_at=leased_at)
        return len(jobs)

    async def _pump(self, *, until_idle: bool) -> int:
        """Claim and start the next batch while the one before is being sent, so connections
        do not wait for the database between batches."""
        settings = self._runtime.settings
        in_hand: set[asyncio.Task[None]] = set()
        failures = handled = 0
        try:
            while not self._stopping.is_set():
                if len(in_hand) - self._settled >= PIPELINE_DEPTH or len(in_hand) >= MAX_IN_HAND:
                    await self._progress_in(in_hand)
                    continue  # stopping may have been asked for meanwhile
                try:
                    await self._retry_kept()
                    leased_at = time.monotonic()
                    jobs = await self.take(limit=None if in_hand else FIRST_BATCH)
                    failures = 0
                except Exception as exc:  # the database away, say: keep the worker alive, back off
                    failures += 1
                    backoff = min(30.0, settings.worker_poll_seconds * 2 ** min(failures, 10))
                    _log_claim_failure(self.owner, exc, backoff)
                    await self._idle(backoff)
                    continue
                if jobs:
                    handled += len(jobs)
                    in_hand.add(asyncio.create_task(self._deliver(jobs, leased_at=leased_at)))
                elif in_hand:  # more may be due once a batch is done, or new mail queued
                    await self._progress_in(in_hand, poll=settings.worker_poll_seconds)
                elif until_idle and not self._recorder.behind:
                    break
                elif until_idle:  # outcomes kept: written (or dropped) before draining ends
                    await self._idle(settings.worker_poll_seconds)
                else:
                    await self._pool.close_idle()
                    await self._idle(settings.worker_poll_seconds)
        finally:
            while in_hand:
                await _finish_one(in_hand)
        return handled

    async def _retry_kept(self) -> None:
        """Outcomes kept while the database was away, written once their backoff is over (a
        batch's timer does this too, while batches are in hand)."""
        if self._recorder.behind:
            with contextlib.suppress(DatabaseBehind):
                await self._recorder.flush_due()

    def _slow_tenants(self) -> list[str]:
        """Tenants alone in a settled batch for LINGER_SECONDS or more."""
        cutoff = time.monotonic() - LINGER_SECONDS
        return [tenant for tenant, since in self._lingering.items() if min(since) <= cutoff]

    def _sent(self, tenant: str) -> None:
        """One of ``tenant``'s messages has its outcome: it no longer counts against the
        tenant's share of the batches in hand, even while its batch waits for a slow lane."""
        self._in_hand[tenant] -= 1

    async def _progress_in(
        self, in_hand: set[asyncio.Task[None]], *, poll: float | None = None
    ) -> None:
        """Until a batch in hand is done or settles; with ``poll``, also until new mail is
        queued or that many seconds have passed."""
        self._progress.clear()
        signals = [asyncio.create_task(self._progress.wait())]
        if poll is not None:
            signals.append(asyncio.create_task(self._runtime.mail_queued.wait()))
        waiting: set[asyncio.Task[Any]] = {*in_hand, *signals}
        try:
            done, _ = await asyncio.wait(waiting, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for signal in signals:
                signal.cancel()
        if poll is not None:
            self._runtime.mail_queued.clear()
        _reap(in_hand, in_hand & done)

    async def _idle(self, seconds: float) -> None:
        event = self._runtime.mail_queued
        try:
            await asyncio.wait_for(event.wait(), timeout=seconds)
        except TimeoutError:
            return
        event.clear()

    async def _deliver(self, jobs: list[Job], *, leased_at: float) -> None:
        """Tenants in parallel; each tenant over at most ``max_connections_per_tenant`` reused
        connections (lanes), each lane sending its share of the tenant's messages in order.
        ``leased_at``: ``time.monotonic()`` before the claim that leased ``jobs``."""
        # Templates not compiled yet are, in a thread: on this loop, a dense one would hold up
        # every batch in hand (and, in `serve`, every request) for most of a second.
        cold = {job.template for job in jobs if job.template is not None}
        cold = {template for template in cold if not compiled(template)}
        if cold:
            await off_loop(compile_parts, cold)
        by_tenant: dict[str, list[Job]] = defaultdict(list)
        for job in jobs:
            by_tenant[job.message.tenant_id].append(job)
        settled: list[tuple[str, float]] = []

        def settle(tenant: str) -> None:
            at = time.monotonic()
            settled.append((tenant, at))
            self._lingering[tenant].append(at)
            self._settled += 1
            self._progress.set()

        batch = _Batch(
            self._runtime,
            self._dispatcher,
            self._recorder,
            jobs,
            leased_at=leased_at,
            lanes=self._lanes,
            stopping=self._stopping,
            on_settled=settle,
            on_sent=self._sent,
        )
        lanes = self._runtime.settings.max_connections_per_tenant
        try:
            await batch.run(
                [
                    (tenant_jobs[lane::lanes], lane, group)
                    for group, tenant_jobs in enumerate(by_tenant.values())
                    for lane in range(min(lanes, len(tenant_jobs)))
                ]
            )
        finally:
            for tenant, at in settled:
                self._lingering[tenant].remove(at)
                if not self._lingering[tenant]:
                    del self._lingering[tenant]
                self._settled -= 1
            unsent = Counter({tenant: len(jobs) for tenant, jobs in by_tenant.items()})
            unsent.subtract(batch.sent)  # those left the hand as they were sent
            self._in_hand.subtract(unsent)
            self._in_hand = +self._in_hand  # drop tenants with none left
            self._held_ids.difference_update(job.message.id for job in jobs)
            for tenant in by_tenant:
                if tenant not in self._in_hand:  # let another worker use its connections
                    self._pool.release(f"tenant:{tenant}")
            await self._pool.close_retired()
            await self._pool.close_idle()

    async def take(self, *, only: str | None = None, limit: int | None = None) -> list[Job]:
        """Claim up to a batch (or ``limit``) of due messages, or just ``only``, under this
        worker's lease, within every tenant's rate limit, and count and record an attempt for
        each, in one transaction."""
        now = utcnow()
        size = self._runtime.settings.worker_batch_size
        if limit is not None:
            size = min(size, limit)
        async with self._runtime.sessions.begin() as session:
            messages = await self._claim(session, now, size=size, only=only)
            if not messages:
                return []
            jobs = await self._dispatcher.start(session, messages, now=now)
        self._in_hand.update(job.message.tenant_id for job in jobs)
        self._held_ids.update(job.message.id for job in jobs)
        return jobs

    async def _claim(
        self, session: AsyncSession, now: datetime, *, size: int, only: str | None
    ) -> list[Queued]:
        settings = self._runtime.settings
        postgres = not is_sqlite(self._runtime.engine)
        exhausted = [t for t, n in (await ratelimit.allowances(session, now)).items() if n <= 0]
        share = TENANT_BATCHES * settings.worker_batch_size
        room = {tenant: share - count for tenant, count in self._in_hand.items()}
        exhausted += [tenant for tenant, left in room.items() if left <= 0]
        exhausted += self._slow_tenants()
        eligible: list[ColumnElement[bool]] = [
            OutboxMessage.tenant_id.not_in(exhausted),
            OutboxMessage.tenant_id.not_in(affinity.held_elsewhere(self.owner, now)),
        ]
        if only is not None:
            eligible.append(OutboxMessage.id == only)
        # Messages whose worker died first, then the queue in order; two statements, as one
        # with both (an OR) read every due message and sorted them all for each claim.
        expired = [*eligible, _lease_expired(now)]
        statement = _candidates(expired, OutboxMessage.lease_until, size, lock=postgres)
        picked = self._not_held(await session.execute(statement))
        if len(picked) < size:  # ``only`` (deliver_now) is taken before it is due
            queued = [*eligible, _queued_due(now) if only is None else _queued()]
            statement = _candidates(
                queued, OutboxMessage.next_attempt_at, size - len(picked), lock=postgres
            )
            picked += self._not_held(await session.execute(statement))
        tenant_ids = {t for _, t in picked}
        if postgres:  # then check again: another worker may have taken a tenant meanwhile
            await affinity.lock_tenants(session, tenant_ids)
        busy = await affinity.busy_tenants(session, self.owner, now, tenant_ids)
        picked = [(message_id, tenant) for message_id, tenant in picked if tenant not in busy]
        picked = ratelimit.trim(picked, room)
        if not picked:
            return []
        # Counted again under the locks taken above.
        allowed = await ratelimit.allowances(session, now, tenant_ids={t for _, t in picked})
        ids = [message_id for message_id, _ in ratelimit.trim(picked, allowed)]
        if not ids:
            return []
        return await self._take(session, ids, now, locked=postgres, early=only is not None)

    def _not_held(self, rows: Iterable[Row[tuple[str, str]]]) -> list[tuple[str, str]]:
        """IDs and tenants of candidate ``rows``, but those this worker still holds. Skipped
        here rather than in the query: held messages are rarely due (only when a lease ran out
        while its batch waited, or while their outcomes were kept), and a NOT IN of a
        thousand IDs costs more."""
        unwritten = self._recorder.unwritten
        return [
            (row.id, row.tenant_id)
            for row in rows
            if row.id not in self._held_ids and row.id not in unwritten
        ]

    async def _take(
        self, session: AsyncSession, ids: list[str], now: datetime, *, locked: bool, early: bool
    ) -> list[Queued]:
        """Lease and count an attempt for each of ``ids`` still due (``early``: still queued),
        before anything is sent; in the order of ``ids``. ``locked``: every one of ``ids`` is
        locked ``FOR UPDATE`` by this transaction (PostgreSQL), so none is tested again;
        otherwise another process may have been quicker, and each is."""
        lease_until = now + timedelta(seconds=self._runtime.settings.worker_lease_seconds)
        rechecked = _TAKE_EARLY_RECHECKED if early else _TAKE_RECHECKED
        taken = await session.execute(
            _TAKE_LOCKED if locked else rechecked,
            {"b_ids": ids, "b_now": now, "b_owner": self.owner, "b_until": lease_until},
        )
        queued = []
        for done, row in enumerate(taken):  # each row's columns are converted here
            await give_way(done)
            queued.append(Queued(*row))
        order = {message_id: n for n, message_id in enumerate(ids)}
        return sorted(queued, key=lambda m: order[m.id])


async def _finish_one(in_hand: set[asyncio.Task[None]]) -> None:
    """Wait for one batch in hand to be done."""
    done, _ = await asyncio.wait(in_hand, return_when=asyncio.FIRST_COMPLETED)
    _reap(in_hand, done)


def _reap(in_hand: set[asyncio.Task[None]], done: set[asyncio.Task[None]]) -> None:
    """Forget finished batches; one that failed is logged (outcomes it could not write are
    kept by the recorder)."""
    for task in done:
        in_hand.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery batch failed", exc_info=task.exception())


_MESSAGE_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]


def _queued() -> ColumnElement[bool]:
    return OutboxMessage.status == QUEUED


def _queued_due(now: object) -> ColumnElement[bool]:
    return and_(_queued(), OutboxMessage.next_attempt_at <= now)


def _lease_expired(now: object) -> ColumnElement[bool]:
    """Being sent under a lease that has run out (its worker died, or lost the database)."""
    return and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until < now)


def _due(now: object) -> ColumnElement[bool]:
    """Queued and due, or being sent under a lease that has run out."""
    return or_(_queued_due(now), _lease_expired(now))


def _candidates(
    where: list[ColumnElement[bool]], order: InstrumentedAttribute[Any], limit: int, *, lock: bool
) -> Select[str, str]:
    """IDs and tenants of up to ``limit`` messages in ``order``: queued ones (``_queued_due``)
    by when they are due, those under expired leases (``_lease_expired``) by when the leases
    ran out. For the queued, ``ix_outbox_due`` gives them in that order and the scan stops at
    ``limit``. ``lock`` (PostgreSQL): they stay locked until the claim commits, and those
    another claim holds are skipped."""
    statement = (
        select(OutboxMessage.id, OutboxMessage.tenant_id).where(*where).order_by(order).limit(limit)
    )
    return statement.with_for_update(skip_locked=True) if lock else statement


def _take_statement(*, recheck: ColumnElement[bool] | None) -> Update:
    """The claim's UPDATE, built once and its compiled form cached (built per claim with the IDs
    as a literal list, the statement and its cache key were made again over up to 1,000 IDs).

    ``recheck`` (SQLite): it tests again that each message is still due (or, for deliver_now,
    still queued), since another process may have taken it since the candidates were read. On
    PostgreSQL the candidates are locked
    (``FOR UPDATE``) in the claim's transaction, and a row changed before it was locked was
    tested again on its latest version then, so no one can have changed them since. There the
    test would also give the planner a way to the rows through ``ix_outbox_due``: from a
    prepared claim's sixth run, on its generic plan and statistics taken while the queue was
    quiet, PostgreSQL read every due message that way and compared each with the whole list of
    IDs (35 ms of the server's time per claim of 500 among 3,000 due messages instead of 7)."""
    ids = _MESSAGE_TABLE.c.id.in_(bindparam("b_ids", expanding=True))
    return (
        update(_MESSAGE_TABLE)
        .where(ids if recheck is None else and_(ids, recheck))
        .values(
            status=SENDING,
            lease_owner=bindparam("b_owner"),
            lease_until=bindparam("b_until", type_=_MESSAGE_TABLE.c.lease_until.type),
            attempts=_MESSAGE_TABLE.c.attempts + 1,
        )
        .returning(*QUEUED_COLUMNS)
    )


_NOW = bindparam("b_now", type_=_MESSAGE_TABLE.c.next_attempt_at.type)
_TAKE_LOCKED = _take_statement(recheck=None)  # b_now unused: SQLite's statements take it
_TAKE_RECHECKED = _take_statement(recheck=_due(_NOW))
# deliver_now's one message, taken before it is due: still queued, or its lease over.
_TAKE_EARLY_RECHECKED = _take_statement(recheck=or_(_queued(), _lease_expired(_NOW)))
# Leases still held, extended; the IDs of those it extended. A lease owner means sending, so
# the status is not tested (see Dispatcher.release).
RENEW = (
    update(_MESSAGE_TABLE)
    .where(
        _MESSAGE_TABLE.c.id.in_(bindparam("b_ids", expanding=True)),
        _MESSAGE_TABLE.c.lease_owner == bindparam("b_owner"),
        _MESSAGE_TABLE.c.lease_until > bindparam("b_now", type_=_MESSAGE_TABLE.c.lease_until.type),
    )
    .values(lease_until=bindparam("b_until", type_=_MESSAGE_TABLE.c.lease_until.type))
    .returning(_MESSAGE_TABLE.c.id)
)


class _Batch:
    """One batch being sent. Its outcomes are written with the other batches' (``OutcomeRecorder``),
    at least every ``FLUSH_SECONDS``; leases are renewed before they run out (by the batch's
    timer too, so a batch waiting for a free lane keeps them), and a message whose lease was
    lost (another worker may hold it now) is not sent, nor one whose lease is about to run out
    because it could not be renewed (the database away: another worker that reaches it may
    claim the message once the lease is over). A connection whose server could not be
    reached or stopped answering is not used again within the batch (as MTAs suspend delivery
    to a dead destination): its other messages wait for a retry instead of each waiting out
    the same timeout. On stop, each lane finishes the message it is sending; the rest go back
    to the queue, their attempts uncounted."""

    def __init__(
        self,
        runtime: Runtime,
        dispatcher: Dispatcher,
        recorder: OutcomeRecorder,
        jobs: list[Job],
        *,
        leased_at: float,
        lanes: asyncio.Semaphore,
        stopping: asyncio.Event,
        on_settled: Callable[[str], None],
        on_sent: Callable[[str], None],
    ) -> None:
        self._runtime, self._dispatcher, self._recorder = runtime, dispatcher, recorder
        self._on_settled, self._on_sent = on_settled, on_sent
        self._is_settled = False
        self.sent: Counter[str] = Counter()  # messages with an outcome, per tenant
        self._running: Counter[int] = Counter()  # lanes still running, per tenant (group)
        self._tenants: dict[int, str] = {}
        self._owner = recorder.owner
        self._lanes, self._stopping = lanes, stopping
        self._lease = timedelta(seconds=runtime.settings.worker_lease_seconds)
        # From the claim, as the send deadline below: the batch may begin well after it (its
        # templates compiled first, in threads that previews may keep busy).
        self._renew_at = leased_at + self._lease.total_seconds() / 2
        # No send begins later than this (monotonic): the lease as this process last set it,
        # less the longest an SMTP transaction takes (or a quarter of the lease, if shorter:
        # renewals come at half), so a send begun in time ends before another worker may
        # claim its message. Checked by the lane, and by the transport once it holds its
        # connection (SEND_NOT_AFTER): a lane may wait for a connection another lane uses.
        longest = transaction_seconds(runtime.settings.smtp_timeout)
        self._send_margin = min(longest, self._lease.total_seconds() / 4)
        self._send_until = self._send_deadline(leased_at)
        self._expiring: set[str] = set()  # not sent: their leases could not be renewed
        self._jobs = {job.message.id: job for job in jobs}
        self._held = set(self._jobs)  # leased and not yet sent
        # connection -> why it is not used, and the message that found it out
        self._unavailable: dict[str, tuple[DeliveryError, Queued]] = {}
        self._renewing = asyncio.Lock()
        self._done = asyncio.Event()

    async def run(self, lanes: list[tuple[list[Job], int, int]]) -> None:
        """Send every lane's jobs; record all outcomes before returning, even when a lane
        failed (its error is raised afterwards)."""
        flusher = asyncio.create_task(self._flush_every(FLUSH_SECONDS))
        self._running.update(group for _, _, group in lanes)
        self._tenants = {group: jobs[0].message.tenant_id for jobs, _, group in lanes}
        try:
            results = await asyncio.gather(
                *(self._lane(jobs, lane=lane, group=group) for jobs, lane, group in lanes),
                return_exceptions=True,
            )
        finally:
            self._done.set()
            await flusher  # never cancelled mid-write: that would lose recorded outcomes
            with contextlib.suppress(DatabaseBehind):  # kept, and written by a later flush
                await self._recorder.flush()
            await self._release_unsent()
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _lane(self, jobs: list[Job], *, lane: int, group: int) -> None:
        # This lane's task only. Once the worker is stopping, no send may begin, also not one
        # whose lane was waiting for the connection another lane used when SIGTERM came: that
        # wait and this send would both come before the worker exits (past its stop budget).
        deadline = SEND_NOT_AFTER.set(
            lambda: -math.inf if self._stopping.is_set() else self._send_until
        )
        try:
            async with self._lanes:
                for job in jobs:
                    if self._stopping.is_set():
                        return
                    await self._renew_if_due()
                    if job.message.id not in self._held:  # its lease ran out: another's now
                        continue
                    # The deadline here, and in the transport again once it holds its
                    # connection (this lane may wait for one another lane is using).
                    try:
                        check_send_deadline()
                        outcome = await self._outcome(job, lane=lane, group=group)
                    except LeaseRunningOut:
                        if self._stopping.is_set():  # still held: released, uncounted
                            return
                        self._skip_expiring(job)
                        continue
                    self._held.discard(job.message.id)
                    self.sent[job.message.tenant_id] += 1
                    self._on_sent(job.message.tenant_id)
                    await self._recorder.add(outcome)
                    if outcome.connection_wanted:  # the waiting message goes out first, while
                        await asyncio.sleep(0)  # this lane renders and builds its next one
        finally:
            SEND_NOT_AFTER.reset(deadline)
            self._lane_done(group)

    def _send_deadline(self, leased_at: float) -> float:
        """The last moment a send may begin under a lease set at ``leased_at`` (monotonic)."""
        return leased_at + self._lease.total_seconds() - self._send_margin

    def _skip_expiring(self, job: Job) -> None:
        """``job``'s lease is (nearly) over and could not be renewed: not sent, and no longer
        held. Released with the unsent at the batch's end if the database is back by then and
        no one took it over; else whoever claims it after the lease sends it."""
        self._held.discard(job.message.id)
        self._expiring.add(job.message.id)
        if len(self._expiring) == 1:
            log.warning(
                "delivery worker %s: leases could not be renewed (the database away?) and are "
                "running out; the batch's unsent messages are left to a later claim",
                self._owner,
            )

    def _lane_done(self, group: int) -> None:
        """Once only one tenant's lanes are left of a batch that had several, the batch is
        settled: what is left is that tenant's server's pace, not the worker's."""
        had_several = len(self._tenants) > 1
        self._running[group] -= 1
        self._running = +self._running
        if had_several and len(self._running) == 1 and not self._is_settled:
            self._is_settled = True
            [remaining] = self._running
            self._on_settled(self._tenants[remaining])

    async def _outcome(self, job: Job, *, lane: int, group: int) -> Outcome:
        connection = (
            self._dispatcher.connection_key(job.route, lane=lane, group=group)
            if job.route is not None and job.error is None
            else None
        )
        unavailable = self._unavailable.get(connection) if connection is not None else None
        if unavailable is not None:
            failure, found_by = unavailable
            return self._dispatcher.not_tried(job, failure, found_by=found_by)
        outcome = await self._dispatcher.send(job, lane=lane, group=group)
        error = outcome.error
        if connection is not None and error is not None and error.fails_the_connection:
            self._unavailable.setdefault(connection, (error, job.message))
        return outcome

    async def _flush_every(self, seconds: float) -> None:
        """Record outcomes at least this often, so a send that stalls (or a crash) does not
        leave earlier deliveries unrecorded: they would be sent again."""
        while not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), timeout=seconds)
            try:
                with contextlib.suppress(DatabaseBehind):  # kept: the recorder said so
                    await self._recorder.flush_due()
            except Exception:  # a fault of ours: the timer must go on all the same
                log.exception("delivery worker %s: writing outcomes failed", self._owner)
            if not self._done.is_set():
                await self._renew_if_due()

    async def _release_unsent(self) -> None:
        """Messages still held but not sent (the worker is stopping, or a lane failed): back
        to the queue now rather than after their leases expire."""
        if not self._held and not self._expiring:
            return
        # Those whose leases ran out too: the release takes only what this worker still
        # holds (its lease owner), so not one another worker has claimed since.
        unsent = [self._jobs[message_id] for message_id in self._held | self._expiring]
        self._held, self._expiring = set(), set()
        try:
            await self._dispatcher.release(unsent, self._owner)
        except Exception:  # they are delivered once their leases expire
            log.exception("delivery worker %s: releasing unsent messages failed", self._owner)

    async def _renew_if_due(self) -> None:
        """Renew the leases if it is time. A failure (the database away) is logged and tried
        again after RENEW_RETRY_SECONDS; meanwhile sends go on until the leases are about to
        run out."""
        if time.monotonic() < self._renew_at:
            return
        try:
            await self._renew()
        except Exception:
            log.exception("delivery worker %s: renewing leases failed", self._owner)

    async def _renew(self) -> None:
        """Extend the leases still held (one statement for the batch); any that ran out are
        dropped: their messages may be another worker's by now."""
        async with self._renewing:
            if time.monotonic() < self._renew_at:
                return  # renewed meanwhile
            # If this fails (the database away), the next try is a few seconds away, not at
            # the timer's next tick.
            started = time.monotonic()
            self._renew_at = started + RENEW_RETRY_SECONDS
            now = utcnow()
            until = now + self._lease
            async with self._runtime.engine.begin() as connection:
                kept = await connection.scalars(
                    RENEW,
                    {
                        "b_ids": list(self._held),
                        "b_owner": self._owner,
                        "b_now": now,
                        "b_until": until,
                    },
                )
                # Only narrowed: a message sent while this ran is not held again.
                self._held.intersection_update(kept.all())
            self._renew_at = time.monotonic() + self._lease.total_seconds() / 2
            self._send_until = self._send_deadline(started)


def _log_claim_failure(owner: str, exc: Exception, retry_in: float) -> None:
    """A database that cannot be reached is one line per try (it was a traceback of some fifty
    lines each time, up to every 30 s of an outage); anything else keeps its traceback."""
    reason = unreachable_reason(exc)
    if reason is None:
        log.exception("delivery worker %s: claiming failed", owner)
    else:
        log.warning("delivery worker %s: %s; trying again in %g s", owner, reason, retry_in)
