"""Our worker against the sink: ``delivery_ratio_1`` and ``delivery_ratio_4`` (ours over raw
aiosmtplib, measured in alternating rounds of one run), and 1,000 tenants each with its own
configuration, delivered by a real ``gatehouse worker`` process whose peak memory is read."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.worker import Worker
from gatehouse.runtime import Runtime, build_runtime, freeze_heap
from gatehouse.settings import Settings
from tests.bench.common import (
    SINK_LOGIN,
    add_custom_configs,
    add_tenants,
    clear_outbox,
    enqueue_spread,
    log,
    median,
    settings_env,
)
from tests.bench.raw import raw_seconds
from tests.bench.sink import Sink

ROUNDS = 7  # rounds vary by up to ±20% on a shared machine: the median of seven
COUNT_1 = 1500  # messages per measurement on one connection (about 2 s)
COUNT_4 = 3000  # messages per measurement on four connections (about 1.5 s)
WARMUP = 200  # messages sent each way before the rounds
LANE_TENANTS = 4  # tenants with their own configuration, for four connections
TENANTS = 1000
PER_TENANT = 2


@dataclass
class Measurement:
    seconds: float
    count: int
    peak_connections: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds


async def sent_count(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
    return int(count or 0)


async def ours(runtime: Runtime, sink: Sink, tenant_ids: list[str], count: int) -> Measurement:
    """Seconds for one worker to drain ``count`` queued messages (claims, attempts, rendering,
    routing, sending and recording included; the queue is filled before the clock starts)."""
    await clear_outbox(runtime)
    await enqueue_spread(runtime, tenant_ids, count)
    sink.counters.reset()
    worker = Worker(runtime)
    started = time.perf_counter()
    await worker.drain()  # the loop of `gatehouse worker`, until nothing is due or in hand
    seconds = time.perf_counter() - started
    await worker.close()
    sent = await sent_count(runtime)
    if sent != count or sink.accepted() != count:
        raise RuntimeError(f"ours: {sent} sent, {sink.accepted()} accepted of {count}")
    return Measurement(seconds, count, int(sink.counters.open_peak.value))


async def raw(sink: Sink, count: int, connections: int) -> Measurement:
    sink.counters.reset()
    seconds = await raw_seconds(
        sink.port, sink.client_context(), SINK_LOGIN, count=count, connections=connections
    )
    if sink.accepted() != count:
        raise RuntimeError(f"raw: {sink.accepted()} accepted of {count}")
    return Measurement(seconds, count, int(sink.counters.open_peak.value))


def _line(label: str, m: Measurement) -> str:
    return (
        f"  {label:<34} {m.count:>5} msgs {m.seconds:7.2f} s {m.rate:8.1f} msg/s "
        f"(peak {m.peak_connections} connection(s))"
    )


async def ratios(settings: Settings, sink: Sink) -> dict[str, float]:
    """Alternating rounds of raw and ours; each figure is the median of the rounds' ratios.

    One connection per tenant configuration (and one to the platform default), so "1
    connection" is one tenant and "4 connections" is four tenants with a configuration each."""
    settings = settings.model_copy(
        update={"max_connections_per_tenant": 1, "default_max_connections": 1}
    )
    runtime = build_runtime(settings, extra_ca_files=(sink.ca_file,))
    single = ["bench-default"]  # no configuration of its own: the platform default (the sink)
    lanes = [f"bench-lane-{n}" for n in range(LANE_TENANTS)]
    await add_tenants(runtime, single + lanes)
    await add_custom_configs(runtime, lanes, sink.port)
    log(
        "delivery ratios: worker with max_connections_per_tenant=1, default_max_connections=1; "
        "1 connection = one tenant on the platform default (the sink); 4 connections = "
        f"{LANE_TENANTS} tenants, each with its own configuration pointing at the sink; raw = the "
        "same MIME message over aiosmtplib, connections opened once; SQL database: "
        f"{settings.resolved_database_url().split(':', 1)[0]}"
    )
    ratio_1: list[float] = []
    ratio_4: list[float] = []
    try:
        # Warm-up, not counted: first connections, compiled statements and templates.
        await raw(sink, WARMUP, 4)
        await ours(runtime, sink, lanes, WARMUP)
        freeze_heap()  # as `gatehouse worker` does once it has started
        for round_no in range(1, ROUNDS + 1):
            log(f" round {round_no}/{ROUNDS}")
            raw_1 = await raw(sink, COUNT_1, 1)
            ours_1 = await ours(runtime, sink, single, COUNT_1)
            raw_4 = await raw(sink, COUNT_4, 4)
            ours_4 = await ours(runtime, sink, lanes, COUNT_4)
            for label, m in (
                ("raw aiosmtplib, 1 connection", raw_1),
                ("our worker, 1 connection", ours_1),
                ("raw aiosmtplib, 4 connections", raw_4),
                (f"our worker, {LANE_TENANTS} tenants", ours_4),
            ):
                log(_line(label, m))
            ratio_1.append(ours_1.rate / raw_1.rate)
            ratio_4.append(ours_4.rate / raw_4.rate)
            log(f"  ratio 1: {ratio_1[-1]:.3f}   ratio 4: {ratio_4[-1]:.3f}")
        await clear_outbox(runtime)
    finally:
        await runtime.close()
    return {"delivery_ratio_1": median(ratio_1), "delivery_ratio_4": median(ratio_4)}


def _vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _open_fds(pid: int) -> int:
    try:
        return len(list(Path(f"/proc/{pid}/fd").iterdir()))
    except OSError:
        return -1


async def _prepare_tenants(settings: Settings, sink: Sink) -> list[str]:
    runtime = build_runtime(settings, extra_ca_files=(sink.ca_file,))
    try:
        tenant_ids = [f"t{n:04d}" for n in range(TENANTS)]
        await add_tenants(runtime, tenant_ids)
        await add_custom_configs(runtime, tenant_ids, sink.port)
        await clear_outbox(runtime)
    finally:
        await runtime.close()
    return tenant_ids


async def _enqueue(settings: Settings, tenant_ids: list[str], count: int) -> None:
    runtime = build_runtime(settings)
    try:
        await enqueue_spread(runtime, tenant_ids, count)
    finally:
        await runtime.close()


def tenants_1000(settings: Settings, sink: Sink, directory: Path) -> dict[str, float]:
    """1,000 tenants, each with its own configuration pointing at the sink; a real
    ``gatehouse worker`` process delivers their messages; its peak RSS is read from /proc."""
    count = TENANTS * PER_TENANT
    tenant_ids = asyncio.run(_prepare_tenants(settings, sink))
    env = settings_env(settings.model_copy(update={"worker_poll_seconds": 0.2}))
    env["GATEHOUSE_SMTP_CA_FILE"] = str(sink.ca_file)
    log_file = directory / "worker-1000.log"
    with log_file.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "gatehouse", "worker"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while "delivery worker" not in log_file.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start:\n" + log_file.read_text())
            time.sleep(0.05)
        idle_rss = _vm_kib(worker.pid, "VmRSS") / 1024
        sink.counters.reset()
        asyncio.run(_enqueue(settings, tenant_ids, count))
        started = time.monotonic()
        deadline = started + 150
        while sink.accepted() < count:
            if worker.poll() is not None or time.monotonic() > deadline:
                tail = log_file.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"1,000 tenants: {sink.accepted()} of {count} sent\n{tail}")
            time.sleep(0.02)
        seconds = time.monotonic() - started
        peak_rss = _vm_kib(worker.pid, "VmHWM") / 1024
        fds = _open_fds(worker.pid)
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    rate = count / seconds
    log(
        f"1,000 tenants: {count} messages ({PER_TENANT} per tenant, one configuration each) "
        f"in {seconds:.2f} s = {rate:.1f} msg/s; worker RSS idle {idle_rss:.1f} MB, "
        f"peak {peak_rss:.1f} MB; sink saw {int(sink.counters.connections.value)} connections, "
        f"at most {int(sink.counters.open_peak.value)} open at once; worker held {fds} file "
        f"descriptors at the end; exit status after SIGTERM {code}"
    )
    return {"tenants_1000_msgs_per_s": rate, "worker_peak_rss_mb": peak_rss}
