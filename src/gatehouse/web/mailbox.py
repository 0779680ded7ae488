"""The development mailbox viewer: captured mail as a page and as JSON (dev mode only)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse.mail.devmail import DevMailServer
from gatehouse.web.pages import render

_LINK = re.compile(r"https?://[^\s<>\"']+")
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)  # not <header>
# Links in the HTML part open in a new tab: the frame is sandboxed (no scripts) and the pages
# behind the links may not be framed (frame-ancestors 'none'), so in the frame they broke.
_NEW_TAB = '<base target="_blank">'


def text_with_links(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_link) pieces, so the page can make each http(s) address in
    a text part a link (the reset and activation links are what a developer follows)."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _LINK.finditer(text):
        link = match.group(0).rstrip(".,;:!?)")  # a sentence's end is not the link's
        pieces += [(text[position : match.start()], False), (link, True)]
        position = match.start() + len(link)
    return [*pieces, (text[position:], False)]


def html_opening_links_in_new_tabs(html: str) -> str:
    head = _HEAD.search(html)
    if head is None:
        return _NEW_TAB + html
    return html[: head.end()] + _NEW_TAB + html[head.end() :]


def mailbox_router(devmail: DevMailServer, *, base_domain: str) -> APIRouter:
    """Served on the bare platform host only (http://localhost:8000/_mailbox): it shows every
    tenant's mail, links included, so no tenant host may serve it, even in dev mode."""

    async def platform_host_only(request: Request) -> None:
        host = request.headers.get("host", "").rsplit(":", 1)[0].lower()
        if host != base_domain:
            raise HTTPException(status_code=404, detail="Not Found")

    router = APIRouter(
        prefix="/_mailbox", include_in_schema=False, dependencies=[Depends(platform_host_only)]
    )

    @router.get("", response_class=HTMLResponse)
    async def mailbox_page(request: Request) -> Response:
        context = {
            "messages": devmail.mailbox.messages(),
            "listeners": devmail.listeners,
            "title": "Development mailbox",
        }
        return render(request, "mailbox.html", context)

    @router.get("/messages/{message_id}", response_class=HTMLResponse)
    async def mailbox_message(request: Request, message_id: int) -> Response:
        message = devmail.mailbox.get(message_id)
        if message is None:
            raise HTTPException(status_code=404, detail="No such message in the mailbox.")
        context = {
            "message": message,
            "title": message.subject,
            "text_pieces": text_with_links(message.text),
            "html_preview": html_opening_links_in_new_tabs(message.html),
        }
        return render(request, "mailbox_message.html", context)

    @router.get("/api/messages")
    async def mailbox_messages() -> dict[str, Any]:
        return {"messages": [m.as_json() for m in devmail.mailbox.messages()]}

    @router.get("/api/listeners")
    async def mailbox_listeners() -> dict[str, Any]:
        return {"listeners": [vars(listener) for listener in devmail.listeners]}

    return router
