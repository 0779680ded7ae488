"""A cap on request bodies, before anything reads one: every handler (and the NUL check) reads
the whole body into memory, so without it one request of a few gigabytes would take a server
process down. The largest body a page or the API takes is a template with its two uploaded
files (256 KiB each), well under the cap. deploy/nginx.conf lets the same 4 MiB through
(nginx's own default is 1 MiB)."""

from __future__ import annotations

from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 4 * 1024 * 1024
BODY_TOO_LARGE = "The request is too large (at most 4 MiB)."


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a body over ``MAX_BODY_BYTES``, by its Content-Length or, sent
    in chunks without one, as soon as the chunks read pass it."""

    def __init__(self, app: ASGIApp, *, json_prefixes: tuple[str, ...]) -> None:
        self.app, self.json_prefixes = app, json_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > MAX_BODY_BYTES:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise _TooLarge
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:  # too late to answer otherwise: the connection is dropped
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope.get("path", "")).startswith(self.json_prefixes):
            answer: PlainTextResponse | JSONResponse = JSONResponse(
                {"detail": BODY_TOO_LARGE}, status_code=413
            )
        else:
            answer = PlainTextResponse(f"413 Content Too Large\n\n{BODY_TOO_LARGE}\n", 413)
        answer.headers["Connection"] = "close"  # the rest of the body is not read
        await answer(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    """The Content-Length, 0 without one; a malformed one counts as too large."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return MAX_BODY_BYTES + 1
    return 0
