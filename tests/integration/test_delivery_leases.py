"""Leases between workers: a worker must not send a message whose lease it no longer holds."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from gatehouse.mail.worker import _Batch
from tests.support.delivery import DeliverySetup, attempts_of, load, queue
from tests.support.smtp_servers import GatedData, Pki, SmtpServer


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def renewals_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every lease renewal fails, as with the database away (the rest still reaches it)."""

    async def database_away(batch: _Batch) -> None:
        raise OSError("the database is away")

    monkeypatch.setattr(_Batch, "_renew", database_away)


async def test_batch_outliving_its_lease_is_not_sent_twice(setup: DeliverySetup, pki: Pki) -> None:
    """A worker whose batch outlasts its lease must not send a message another worker has taken
    over since: every message arrives once, even with no crash at all."""
    handler = GatedData(gated=2)
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(
            f"smtp://127.0.0.1:{server.port}",
            max_connections_per_tenant=1,
            default_max_connections=1,
            worker_lease_seconds=5,
        )
        slow, other = setup.worker(runtime), setup.worker(runtime)
        await queue(runtime, "u0@acme.test", "u1@acme.test")
        batch = asyncio.create_task(slow.run_once())  # claims both, sends them one by one
        await wait_for(lambda: handler.arrived == 1, "the first DATA")
        await asyncio.sleep(5.5)  # the first send takes longer than the whole lease
        handler.gates[0].set()
        await wait_for(lambda: handler.arrived == 2 or batch.done(), "the second message")
        takeover = asyncio.create_task(other.run_once())  # may claim what has an expired lease

        def other_is_sending_or_done() -> bool:
            return takeover.done() or handler.arrived == (2 if batch.done() else 3)

        await wait_for(other_is_sending_or_done, "the other worker")
        handler.gates[1].set()
        await asyncio.gather(batch, takeover)
    counts = Counter(r for m in handler.messages for r in m.rcpt_tos)
    assert counts == {"u0@acme.test": 1, "u1@acme.test": 1}


async def test_a_failed_lease_renewal_does_not_stop_a_lane(
    setup: DeliverySetup, pki: Pki, renewals_fail: None
) -> None:
    """A renewal that fails (the database away) is tried again later; the lane that ran into
    it goes on sending while the leases last, rather than leaving its messages unsent."""

    handler = GatedData(gated=1)
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(
            f"smtp://127.0.0.1:{server.port}",
            max_connections_per_tenant=1,
            default_max_connections=1,
            worker_lease_seconds=12,  # renewed from 6 s on; no send starts after 9 s
        )
        worker = setup.worker(runtime)
        await queue(runtime, "u0@acme.test", "u1@acme.test")
        batch = asyncio.create_task(worker.run_once())
        await wait_for(lambda: handler.arrived == 1, "the first DATA")
        await asyncio.sleep(6.5)  # past the renewal's time: the lane tries it after this send
        handler.gates[0].set()
        assert await batch == 2
    counts = Counter(r for m in handler.messages for r in m.rcpt_tos)
    assert counts == {"u0@acme.test": 1, "u1@acme.test": 1}


async def test_no_send_begins_after_waiting_out_the_lease_for_a_connection(
    setup: DeliverySetup, pki: Pki, renewals_fail: None
) -> None:
    """Two lanes share the platform's one connection: the second waits for it while the first
    sends. With its lease unrenewed and about to run out by then, it sends nothing, and its
    message goes back to the queue uncounted (the database answers again by the batch's end)."""

    handler = GatedData(gated=1)
    async with SmtpServer(pki, security="starttls", handler=handler) as server:
        runtime = await setup.runtime(
            f"smtp://127.0.0.1:{server.port}",
            max_connections_per_tenant=2,  # two lanes ...
            default_max_connections=1,  # ... over one connection
            worker_lease_seconds=5,  # no send begins after 3.75 s
        )
        worker = setup.worker(runtime)
        first, second = await queue(runtime, "u0@acme.test", "u1@acme.test")
        batch = asyncio.create_task(worker.run_once())
        await wait_for(lambda: handler.arrived == 1, "the first DATA")
        await asyncio.sleep(4.5)  # the second lane waits for the connection meanwhile
        handler.gates[0].set()
        assert await batch == 2
    assert [r for m in handler.messages for r in m.rcpt_tos] == ["u0@acme.test"]
    assert (await load(runtime, first)).status == "sent"
    waiting = await load(runtime, second)
    assert (waiting.status, waiting.attempts, waiting.lease_owner) == ("queued", 0, None)
    assert await attempts_of(runtime, second) == []
