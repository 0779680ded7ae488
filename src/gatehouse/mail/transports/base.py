"""The transport contract: every way an e-mail can leave implements it, and one contract test
suite runs against each implementation."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Protocol

# Set by the worker around each send: the latest time.monotonic() at which the send may still
# begin talking to the server (its message's lease must outlast the exchange). A transport
# checks it once it holds its connection, just before the message's first command.
SEND_NOT_AFTER: ContextVar[Callable[[], float] | None] = ContextVar("send_not_after", default=None)


class LeaseRunningOut(Exception):
    """Not sent: the message's lease, which could not be renewed, is about to run out."""


def check_send_deadline() -> None:
    not_after = SEND_NOT_AFTER.get()
    if not_after is not None and time.monotonic() >= not_after():
        raise LeaseRunningOut


class Transport(Protocol):
    """Sends one MIME message (its wire form, as ``mail.mime.build_message`` makes it).
    Raises a DeliveryError subclass on failure, whose ``retryable`` says whether trying again
    may help."""

    kind: str  # "smtp" | "ses"

    @property
    def server(self) -> str:
        """Where messages go, for attempt records (never credentials)."""
        ...

    async def send(self, message: bytes, *, sender: str, recipients: list[str]) -> str:
        """Deliver; return the server's reply (e.g. "250 2.0.0 OK")."""
        ...

    @property
    def in_use(self) -> bool:
        """A message is being sent (or waits to be) over it."""
        ...

    async def close(self) -> None:
        """Release connections; the transport may be used again afterwards."""
        ...
