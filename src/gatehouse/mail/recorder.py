"""The worker's outcome recorder: outcomes of every batch in hand, written together.

A delivered message whose outcome is not written stays leased and is sent again once its lease
runs out, so an outcome is only ever dropped when the database refuses that very outcome while
it takes others. When it takes none (it is away, or locked), the outcomes are kept and written
by a later flush."""

from __future__ import annotations

import asyncio
import logging
import time

from gatehouse.mail.dispatcher import Dispatcher, Outcome

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
# After this many single writes fail with none written, the database is taken to be away.
AWAY_AFTER = 3
# The longest wait between flushes of kept outcomes while the database is away.
MAX_BACKOFF_SECONDS = 30.0


class DatabaseBehind(Exception):
    """Outcomes could not be written; they are kept for a later flush."""


class OutcomeRecorder:
    """One transaction at most every ``FLUSH_SECONDS`` for the whole worker, where a writer per
    batch would commit as many times over as there are batches in hand. A lane adding an
    outcome does not wait for the write (its connection would idle while the database is busy,
    say with a claim), unless ``BACKLOG`` outcomes wait: then the database is behind."""

    BACKLOG = 1000

    def __init__(self, dispatcher: Dispatcher, owner: str) -> None:
        self._dispatcher, self.owner = dispatcher, owner
        self._pending: list[Outcome] = []
        self._lock = asyncio.Lock()
        self._written_at = time.monotonic()
        self._failures = 0  # flushes failed in a row
        self._retry_at = 0.0

    @property
    def behind(self) -> bool:
        """Outcomes are kept from a flush that failed."""
        return self._failures > 0 and bool(self._pending)

    async def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        if len(self._pending) >= self.BACKLOG:
            await self.flush()

    async def flush_due(self) -> None:
        """Flush if the last was ``FLUSH_SECONDS`` ago (longer while the database is away)."""
        now = time.monotonic()
        if self._pending and now - self._written_at >= FLUSH_SECONDS and now >= self._retry_at:
            await self.flush()

    async def flush(self) -> None:
        """Write every outcome added so far; raises DatabaseBehind if some are kept."""
        async with self._lock:
            pending, self._pending = self._pending, []
            self._written_at = time.monotonic()
            try:
                await self._dispatcher.record(pending, self.owner)
            except Exception:  # the database away, or refusing one of them: see which
                await self._write_each(pending)
            self._failures = 0

    async def _write_each(self, outcomes: list[Outcome]) -> None:
        """One outcome per transaction, after the group's failed. One that fails while others
        are written is refused by the database itself: logged and dropped (its message is sent
        again once its lease runs out). If the first ``AWAY_AFTER`` fail, the database is away:
        all are kept, the failed ones last (so one refused outcome cannot block the rest)."""
        failed: list[tuple[Outcome, Exception]] = []
        written = 0
        for n, outcome in enumerate(outcomes):
            try:
                await self._dispatcher.record([outcome], self.owner)
                written += 1
            except Exception as exc:
                failed.append((outcome, exc))
                if not written and len(failed) >= min(AWAY_AFTER, len(outcomes)):
                    self._keep(outcomes[n + 1 :] + [kept for kept, _ in failed])
                    raise DatabaseBehind(f"{len(outcomes)} outcomes kept for later") from exc
        for outcome, error in failed:
            log.error(
                "the database refused the outcome of message %s: it stays leased and is sent "
                "again once its lease runs out",
                outcome.job.message.id,
                exc_info=error,
            )

    def _keep(self, outcomes: list[Outcome]) -> None:
        self._pending[:0] = outcomes  # before any added meanwhile
        self._failures += 1
        backoff = min(MAX_BACKOFF_SECONDS, FLUSH_SECONDS * 2**self._failures)
        self._retry_at = time.monotonic() + backoff
