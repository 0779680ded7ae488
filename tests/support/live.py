"""A real Gatehouse served by uvicorn in a thread, with its dev mail server, for tests that
drive it over HTTP (httpx) or in a browser (Playwright)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn

from gatehouse.mail.devmail import CapturedMessage, DevMailServer
from gatehouse.runtime import build_runtime
from gatehouse.settings import Settings
from gatehouse.web.app import create_app

TEST_SECRET_KEY = "bqZtUmq3Qkq6dP0b1xYkFJXWq2Q8LZr0sVxq5bW8yC4="  # the tests' servers' key

T = TypeVar("T")


def run_in_thread(work: Callable[[], Coroutine[Any, Any, T]] | Callable[[], T]) -> T:
    """``work()`` (awaited with asyncio.run when it is a coroutine) on a thread of its own:
    Playwright's sync API keeps a loop running on the test's thread, where asyncio.run() fails."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            value = work()
            result.append(asyncio.run(value) if asyncio.iscoroutine(value) else value)
        except BaseException as exc:  # re-raised on the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    settings: Settings
    port: int
    devmail: DevMailServer
    server: uvicorn.Server
    thread: threading.Thread

    def origin(self, tenant_id: str = "demo") -> str:
        return f"http://{tenant_id}.localhost:{self.port}"

    def client(
        self,
        tenant_id: str | None = "demo",
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Client:
        """A client talking to 127.0.0.1 with the tenant's Host header (no resolver needed)."""
        host = f"{tenant_id}.localhost:{self.port}" if tenant_id else f"localhost:{self.port}"
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"host": host, **(headers or {})},
            timeout=30,
            **kwargs,
        )

    def run(self, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
        """Run ``work(runtime)`` against the same database, on a loop of the test's own."""

        async def main() -> T:
            runtime = build_runtime(self.settings)
            try:
                return await work(runtime)
            finally:
                await runtime.close()

        return run_in_thread(main)

    def wait_for_mail(
        self, predicate: Callable[[CapturedMessage], bool], *, count: int = 1, timeout: float = 15
    ) -> list[CapturedMessage]:
        """The first ``count`` captured messages matching ``predicate``, oldest first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in reversed(self.devmail.mailbox.messages()) if predicate(m)]
            if len(found) >= count:
                return found[:count]
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(found)} within {timeout}s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=40)


def start_live_server(settings: Settings) -> LiveServer:
    port = settings.public_port or free_port()
    devmail = DevMailServer(settings.data_dir)
    app = create_app(settings, devmail=devmail)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return LiveServer(settings, port, devmail, server, thread)
