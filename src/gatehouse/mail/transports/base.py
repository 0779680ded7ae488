"""The transport contract: every way an e-mail can leave implements it, and one contract test
suite runs against each implementation."""

from __future__ import annotations

from typing import Protocol


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
