"""The worker's outcome recorder: the outcomes of every batch in hand, written together.

A delivered message whose outcome is never written stays leased and is sent again once its
lease runs out. So outcomes the database does not take are kept and written by a later flush,
unless it refused the values themselves (a value no column takes, a constraint, a bug in our
values): that outcome could never be written and must not hold up the others, so it is dropped
after three refusals. Whether the database is away, read-only, full or busy, nothing is dropped."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    ProgrammingError,
    SQLAlchemyError,
    StatementError,
)

from gatehouse.mail.dispatcher import Dispatcher, Outcome

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
# Refusals of an outcome's values before it is dropped.
DROP_AFTER = 3
# Flushes while the database is away back off from FLUSH_SECONDS * 2 up to this.
MAX_BACKOFF_SECONDS = 30.0
# SQLSTATE classes of errors about the values written: data exceptions, integrity constraints,
# and exceptions raised by a PL/pgSQL function (a trigger refusing them).
_VALUE_ERROR_CLASSES = ("22", "23", "P0")
UNRECORDABLE = "The error's text could not be stored."


class DatabaseBehind(Exception):
    """Outcomes could not be written; they are kept for a later flush."""


class OutcomeRecorder:
    """One transaction at most every ``FLUSH_SECONDS`` for the whole worker, where a writer per
    batch would commit as many times over as there are batches in hand. A lane adding an
    outcome does not wait for the write (its connection would idle while the database is busy,
    say with a claim), unless ``BACKLOG`` outcomes wait: then the database is behind."""

    BACKLOG = 1000

    def __init__(
        self, dispatcher: Dispatcher, owner: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._dispatcher, self.owner, self._clock = dispatcher, owner, clock
        self._pending: list[Outcome] = []
        # Messages whose outcomes are not written yet: the worker must not claim them again.
        self.unwritten: set[str] = set()
        self._refusals: dict[str, int] = {}  # per message, while its outcome is kept
        self._lock = asyncio.Lock()
        self._written_at = clock()
        self._failures = 0  # flushes in a row that found the database away
        self._retry_at = 0.0
        self._kept = False  # the last flush left outcomes to write

    @property
    def behind(self) -> bool:
        """Outcomes are kept from an earlier flush (the database was away, refused them, or
        the flush was cancelled)."""
        return self._kept

    async def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self.unwritten.add(outcome.job.message.id)
        if len(self._pending) >= self.BACKLOG:
            await self.flush()

    async def flush_due(self) -> None:
        """Flush if the last was ``FLUSH_SECONDS`` ago and, while the database is away, its
        backoff is over; not while a flush is under way (one waiting behind it would start as
        soon as it failed, without the backoff)."""
        now = self._clock()
        if (
            (self._pending or self.behind)
            and now - self._written_at >= FLUSH_SECONDS
            and now >= self._retry_at
            and not self._lock.locked()
        ):
            await self.flush()

    async def flush(self) -> None:
        """Write every outcome added so far; DatabaseBehind if the database is away."""
        async with self._lock:
            outcomes, self._pending = self._pending, []
            self._written_at = self._clock()
            try:
                kept, away = await self._write(outcomes)
            except BaseException:  # cancelled (the worker stopping): keep what is unwritten
                self._keep([o for o in outcomes if o.job.message.id in self.unwritten])
                raise
            self._keep(kept)
            if away:
                self._back_off(len(kept))
                raise DatabaseBehind(f"{len(kept)} outcomes kept")
            self._failures, self._retry_at = 0, 0.0

    async def _write(self, outcomes: list[Outcome]) -> tuple[list[Outcome], bool]:
        """Write ``outcomes`` together, or else one by one: those to keep, and whether the
        database is away (then the rest are not tried)."""
        try:
            await self._record(outcomes)
            return [], False
        except Exception:  # the database away, or refusing one of them: see which
            log.warning("writing %d outcomes together failed", len(outcomes), exc_info=True)
        refused: list[tuple[Outcome, Exception]] = []
        written = 0
        for n, outcome in enumerate(outcomes):
            try:
                await self._record([outcome])
                written += 1
            except Exception as exc:
                if not _refused_values(exc):  # untried first: a refused one cannot block them
                    return outcomes[n:] + [o for o, _ in refused], True
                refused.append((outcome, exc))
        if not written and len(refused) > 1 and not await self._values_at_fault(refused):
            log.error("the database refused every outcome of a group", exc_info=refused[0][1])
            return outcomes, True
        return [kept for o, exc in refused for kept in await self._refused(o, exc)], False

    async def _values_at_fault(self, refused: list[tuple[Outcome, Exception]]) -> bool:
        """Every outcome of a group refused is a fault of the write (a new constraint no
        outcome meets, say), unless, refused ``DROP_AFTER`` times, the first one's bare form is
        taken: then it was their values, and the others are given up on as one refused alone."""
        for outcome, _ in refused:
            message_id = outcome.job.message.id
            self._refusals[message_id] = self._refusals.get(message_id, 0) + 1
        first, error = refused[0]
        if self._refusals[first.job.message.id] < DROP_AFTER:
            return False
        try:
            await self._record([_bare(first)])
        except Exception:
            return False
        _log_recorded_bare(first.job.message.id, error)
        del refused[0]
        for outcome, _ in refused:  # ``_refused`` counts this refusal of theirs
            self._refusals[outcome.job.message.id] -= 1
        return True

    async def _record(self, outcomes: list[Outcome]) -> None:
        await self._dispatcher.record(outcomes, self.owner)
        for outcome in outcomes:
            self.unwritten.discard(outcome.job.message.id)
            self._refusals.pop(outcome.job.message.id, None)

    async def _refused(self, outcome: Outcome, error: Exception) -> list[Outcome]:
        """Count a refusal of ``outcome``: ``[outcome]`` to keep it (kept after the others, it
        is tried again with the next flush), ``[]`` once it is given up. Then the outcome is
        written bare, without the server's text, so its message is not sent again."""
        message_id = outcome.job.message.id
        self._refusals[message_id] = self._refusals.get(message_id, 0) + 1
        if self._refusals[message_id] < DROP_AFTER:
            return [outcome]
        del self._refusals[message_id]
        try:
            await self._record([_bare(outcome)])
            _log_recorded_bare(message_id, error)
        except Exception:
            self.unwritten.discard(message_id)
            log.error(
                "the database refused the outcome of message %s: it stays leased and is sent "
                "again once its lease runs out",
                message_id,
                exc_info=error,
            )
        return []

    def _keep(self, outcomes: list[Outcome]) -> None:
        """Keep ``outcomes`` for the next flush, before any added meanwhile."""
        self._pending[:0], self._kept = outcomes, bool(outcomes)

    def _back_off(self, kept: int) -> None:
        self._failures += 1
        backoff = min(MAX_BACKOFF_SECONDS, FLUSH_SECONDS * 2 ** min(self._failures, 10))
        self._retry_at = self._clock() + backoff
        log.warning("%d outcomes kept: the database is away (next try in %.1f s)", kept, backoff)


def _log_recorded_bare(message_id: str, error: Exception) -> None:
    log.error(
        "the database refused the outcome of message %s; it was recorded without the server's text",
        message_id,
        exc_info=error,
    )


def _bare(outcome: Outcome) -> Outcome:
    """``outcome`` without any text from the server: what it came to, and nothing else."""
    error = outcome.error
    if error is not None:
        error = type(error)(error.step, UNRECORDABLE, reply_code=error.reply_code)
    return dataclasses.replace(outcome, reply=None, error=error)


def _refused_values(error: Exception) -> bool:
    """Whether the database refused the values written, which no retry changes, rather than
    the write itself (the database away, read-only, full, busy: worth trying again)."""
    if isinstance(error, (DataError, IntegrityError)):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate is None:  # SQLite's errors carry none: one binding a value is about it
            return isinstance(error, ProgrammingError)
        return isinstance(sqlstate, str) and sqlstate.startswith(_VALUE_ERROR_CLASSES)
    if isinstance(error, StatementError):  # our values could not be turned into parameters
        return True
    return not isinstance(error, (SQLAlchemyError, OSError, TimeoutError))  # else a bug of ours
