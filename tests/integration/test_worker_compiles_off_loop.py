"""The worker checks and compiles a template it has not compiled yet in a thread: on its loop,
a dense one (100,000 characters take most of a second) held up every batch in hand and, in
`serve`, every request of the process."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from gatehouse.mail.templates import sandbox
from gatehouse.mail.templates.compiled import SourceCache
from gatehouse.mail.templates.threads import THREAD_NAME_PREFIX, off_loop
from tests.support.delivery import PLATFORM_LOGIN, DeliverySetup, load, platform_url, queue
from tests.support.smtp_servers import Pki, SmtpServer


async def test_templates_new_to_the_worker_are_compiled_off_its_loop(
    setup: DeliverySetup, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh: SourceCache[Any] = SourceCache(max_entries=100, max_chars=1_000_000)
    monkeypatch.setattr(sandbox, "_COMPILED", fresh)  # nothing compiled in this process yet
    on_loop: list[bool] = []
    compile_now = sandbox._compile

    def recorded(source: str, *, html: bool) -> Any:
        on_loop.append(not threading.current_thread().name.startswith(THREAD_NAME_PREFIX))
        return compile_now(source, html=html)

    monkeypatch.setattr(sandbox, "_compile", recorded)
    async with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as server:
        runtime = await setup.runtime(platform_url(server.port))
        await queue(runtime, "u0@acme.test", "u1@acme.test")
        assert await setup.worker(runtime).run_once() == 2
        assert len(server.handler.messages) == 2
    assert on_loop == [False, False, False]  # subject, text and HTML, once, in a template thread


async def test_a_batch_waiting_for_the_template_threads_keeps_its_leases(
    setup: DeliverySetup, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiling happens after the claim: with both template threads busy (previews of dense
    templates, say) the batch waits for them while its leases run. Its renewals count from the
    claim, so a batch that waited past its send deadline renews them and sends; counted from
    when compiling ended, they came too late, and the batch sent nothing ("leases could not
    be renewed")."""
    fresh: SourceCache[Any] = SourceCache(max_entries=100, max_chars=1_000_000)
    monkeypatch.setattr(sandbox, "_COMPILED", fresh)  # the worker has templates to compile
    async with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as server:
        runtime = await setup.runtime(platform_url(server.port), worker_lease_seconds=5)
        [message_id] = await queue(runtime, "u0@acme.test")
        # No send begins later than 3.75 s after the claim unless the leases were renewed.
        busy = [asyncio.create_task(off_loop(time.sleep, 4.0)) for _ in range(2)]
        assert await setup.worker(runtime).run_once() == 1
        await asyncio.gather(*busy)
        assert [m.rcpt_tos for m in server.handler.messages] == [("u0@acme.test",)]
    assert (await load(runtime, message_id)).status == "sent"
