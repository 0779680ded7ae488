"""HEAD answered as GET without the body (RFC 9110, 9.3.2). FastAPI routes answer only the
methods they name, so a monitor or link checker asking HEAD got 405 for every page and for
/healthz, and took a working service for a broken one.

HEAD must change nothing: the one GET that does (an expired reset link sends a new one) asks
``is_head`` first, since mail scanners ask HEAD of the links in e-mails."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEAD_FLAG = "gatehouse.head"  # in the scope of a HEAD request run as GET


def is_head(request: Request) -> bool:
    """Whether the GET being answered is a HEAD request's."""
    return bool(request.scope.get(HEAD_FLAG))


class HeadAsGet:
    """ASGI middleware: a HEAD request runs as GET; its headers are sent, its body is not.
    Paths under ``native`` go to an application that answers HEAD itself (StaticFiles, which
    as GET would read a whole file to drop it)."""

    def __init__(self, app: ASGIApp, native: tuple[str, ...] = ()) -> None:
        self.app = app
        self.native = native

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or scope["path"].startswith(self.native)
        ):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):  # one empty end of the body
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET", HEAD_FLAG: True}, receive, without_body)
