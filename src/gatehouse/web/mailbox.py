"""The development mailbox viewer: captured mail as a page and as JSON (dev mode only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse.mail.devmail import DevMailServer
from gatehouse.web.pages import render


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
        return render(
            request, "mailbox_message.html", {"message": message, "title": message.subject}
        )

    @router.get("/api/messages")
    async def mailbox_messages() -> dict[str, Any]:
        return {"messages": [m.as_json() for m in devmail.mailbox.messages()]}

    @router.get("/api/listeners")
    async def mailbox_listeners() -> dict[str, Any]:
        return {"listeners": [vars(listener) for listener in devmail.listeners]}

    return router
