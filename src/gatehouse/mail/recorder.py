"""The worker's outcome recorder: the outcomes of every batch in hand, written together.

A delivered message whose outcome is never written stays leased and is sent again once its
lease runs out. So outcomes the database does not take are kept and written by a later flush;
one is dropped only when the database, answering, refused that very outcome three times (a
value no column takes, say): it cannot be written, and must not hold up the others."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from gatehouse.mail.dispatcher import Dispatcher, Outcome

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
# Single writes failing in a row before a flush stops trying the rest.
STOP_AFTER = 3
# Refusals (the database answering, the outcome not written) before an outcome is dropped.
DROP_AFTER = 3
# Flushes of kept outcomes back off from FLUSH_SECONDS * 2 up to this.
MAX_BACKOFF_SECONDS = 30.0


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
        self._failures = 0  # flushes in a row that kept outcomes
        self._retry_at = 0.0

    @property
    def behind(self) -> bool:
        """Outcomes are kept from a flush that could not write them."""
        return self._failures > 0

    async def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self.unwritten.add(outcome.job.message.id)
        if len(self._pending) >= self.BACKLOG:
            await self.flush()

    async def flush_due(self) -> None:
        """Flush if the last was ``FLUSH_SECONDS`` ago, and, after a failure, its backoff is
        over (a flush under way already writes what is pending)."""
        now = self._clock()
        if (
            self._pending
            and now - self._written_at >= FLUSH_SECONDS
            and now >= self._retry_at
            and not self._lock.locked()
        ):
            await self.flush()

    async def flush(self) -> None:
        """Write every outcome added so far; DatabaseBehind if some are kept."""
        async with self._lock:
            outcomes, self._pending = self._pending, []
            self._written_at = self._clock()
            try:
                kept = await self._write(outcomes)
            except BaseException:  # cancelled (the worker stopping): keep what is unwritten
                self._pending[:0] = [o for o in outcomes if o.job.message.id in self.unwritten]
                raise
            if kept:
                self._keep(kept)
                raise DatabaseBehind(f"{len(kept)} outcomes kept")
            self._failures, self._retry_at = 0, 0.0

    async def _write(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Write ``outcomes`` together, or else one by one; those to keep."""
        try:
            await self._record(outcomes)
            return []
        except Exception:  # the database away, or refusing one of them: see which
            log.warning("writing %d outcomes together failed", len(outcomes), exc_info=True)
        failed: list[Outcome] = []
        tried = written = in_a_row = 0
        while tried < len(outcomes) and in_a_row < STOP_AFTER:
            outcome = outcomes[tried]
            tried += 1
            try:
                await self._record([outcome])
                written, in_a_row = written + 1, 0
            except Exception:
                failed.append(outcome)
                in_a_row += 1
        if failed and (written or await self._dispatcher.database_answers()):
            failed = self._refused(failed)
        return outcomes[tried:] + failed  # untried first: a refused one cannot block the rest

    async def _record(self, outcomes: list[Outcome]) -> None:
        await self._dispatcher.record(outcomes, self.owner)
        for outcome in outcomes:
            self.unwritten.discard(outcome.job.message.id)
            self._refusals.pop(outcome.job.message.id, None)

    def _refused(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Count a refusal for each of ``outcomes`` (the database answers, yet did not take
        them); drop those refused ``DROP_AFTER`` times, and return the rest."""
        kept = []
        for outcome in outcomes:
            message_id = outcome.job.message.id
            self._refusals[message_id] = self._refusals.get(message_id, 0) + 1
            if self._refusals[message_id] < DROP_AFTER:
                kept.append(outcome)
                continue
            del self._refusals[message_id]
            self.unwritten.discard(message_id)
            log.error(
                "the database refused the outcome of message %s: it stays leased and is sent "
                "again once its lease runs out",
                message_id,
            )
        return kept

    def _keep(self, outcomes: list[Outcome]) -> None:
        """Keep ``outcomes`` for a later flush, before any added meanwhile, and back off."""
        self._pending[:0] = outcomes
        self._failures += 1
        backoff = min(MAX_BACKOFF_SECONDS, FLUSH_SECONDS * 2 ** min(self._failures, 10))
        self._retry_at = self._clock() + backoff
        log.warning(
            "%d outcomes kept: the database did not take them (next try in %.1f s)",
            len(outcomes),
            backoff,
        )
