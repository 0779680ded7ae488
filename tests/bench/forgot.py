"""``POST /service/users/forgotPassword`` under concurrent load against a real ``gatehouse serve``
(uvicorn, with its in-process worker), while the mail server is down, and for comparison while
it is up: the request path must not notice the mail server at all."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from gatehouse.mail.models import OutboxMessage
from gatehouse.runtime import build_runtime
from gatehouse.settings import Settings
from tests.bench.common import (
    add_tenants,
    add_users,
    clear_outbox,
    log,
    percentile,
    settings_env,
)
from tests.bench.sink import Sink
from tests.support.clients import forwarded_for
from tests.support.smtp_servers import free_port

REQUESTS = 800  # measured requests per phase
WARMUP = 60
CONCURRENCY = 32
PER_USER = 3  # stays within the per-user limit of 3 e-mails in 24 hours


def _answer_floor_ms() -> float:
    try:
        from gatehouse.web.timing import ANSWER_FLOOR_SECONDS
    except ImportError:
        return 0.0
    return float(ANSWER_FLOOR_SECONDS) * 1000


@dataclass
class LoadResult:
    latencies: list[float]
    seconds: float
    statuses: Counter[int]

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000


async def _prepare(settings: Settings, tenant_id: str, users: int) -> list[str]:
    runtime = build_runtime(settings)
    try:
        await add_tenants(runtime, [tenant_id])
        emails = [f"user{n}@{tenant_id}.test" for n in range(users)]
        await add_users(runtime, tenant_id, emails)
    finally:
        await runtime.close()
    return emails


async def _clear(settings: Settings) -> None:
    runtime = build_runtime(settings)
    try:
        await clear_outbox(runtime)
    finally:
        await runtime.close()


async def _outbox(settings: Settings, tenant_id: str) -> dict[str, int]:
    """The phase's e-mails by state: sent, tried (and queued for a retry), not tried yet."""
    runtime = build_runtime(settings)
    try:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(OutboxMessage.status, OutboxMessage.attempts, func.count())
                .where(OutboxMessage.tenant_id == tenant_id)
                .group_by(OutboxMessage.status, OutboxMessage.attempts)
            )
            found = Counter[str]()
            for status, attempts, count in rows.all():
                state = status if status != "queued" else ("retrying" if attempts else "untried")
                found[state] += count
            return dict(found)
    finally:
        await runtime.close()


async def _load(port: int, host: str, identifiers: list[str]) -> LoadResult:
    """``CONCURRENCY`` clients send one request each at a time until ``identifiers`` run out."""
    pending = list(reversed(identifiers))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"host": host}, limits=limits, timeout=30
    ) as client:

        async def user() -> None:
            while pending:
                identifier = pending.pop()
                started = time.perf_counter()
                answer = await client.post(
                    "/service/users/forgotPassword",
                    json={"identifier": identifier},
                    headers=forwarded_for(len(pending)),
                )
                latencies.append(time.perf_counter() - started)
                statuses[answer.status_code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    return LoadResult(latencies, seconds, statuses)


def _wait_healthy(port: int, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gatehouse serve exited:\n" + log_file.read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gatehouse serve did not become healthy")


def phase(
    settings: Settings, directory: Path, *, name: str, smtp_url: str, run_worker: bool = True
) -> LoadResult:
    """One server process, its tenant and users, warm-up, then the measured load."""
    tenant_id = "fp-" + name.replace(" ", "-")
    users = (REQUESTS + WARMUP) // PER_USER + 1
    emails = asyncio.run(_prepare(settings, tenant_id, users))
    asyncio.run(_clear(settings))  # an earlier phase's queue must not keep this worker busy
    identifiers = [e for e in emails for _ in range(PER_USER)]
    port = free_port()
    env = settings_env(
        settings.model_copy(update={"default_smtp_url": smtp_url, "run_worker": run_worker})
    )
    log_file = directory / f"serve-{tenant_id}.log"
    with log_file.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gatehouse", "serve", "--host", "127.0.0.1", f"--port={port}"],
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        _wait_healthy(port, server, log_file)
        host = f"{tenant_id}.localhost:{port}"
        asyncio.run(_load(port, host, identifiers[:WARMUP]))
        result = asyncio.run(_load(port, host, identifiers[WARMUP : WARMUP + REQUESTS]))
        time.sleep(1.0)  # let the in-process worker take its turn at the last messages
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    outbox = asyncio.run(_outbox(settings, tenant_id))
    log(
        f"  {name:<22}: {len(result.latencies)} requests, concurrency {CONCURRENCY}, "
        f"{result.rps:7.1f} req/s, p50 {result.p(0.50):6.1f} ms, p95 {result.p(0.95):6.1f} ms, "
        f"p99 {result.p(0.99):6.1f} ms, max {max(result.latencies) * 1000:6.1f} ms; "
        f"HTTP {dict(result.statuses)}; the phase's e-mails 1 s after the load: {outbox}"
    )
    if set(result.statuses) != {200}:
        raise RuntimeError(f"forgotPassword answered {dict(result.statuses)}")
    return result


def forgot_password(settings: Settings, sink: Sink, directory: Path) -> dict[str, float]:
    user, password = sink.login
    down_url = f"smtp://{user}:{password}@127.0.0.1:{free_port()}"  # nothing listens there
    log(
        "forgot password: POST /service/users/forgotPassword on a real `gatehouse serve` "
        "(uvicorn + in-process worker), existing users, load from httpx in this process"
    )
    down = phase(settings, directory, name="mail server down", smtp_url=down_url)
    up = phase(settings, directory, name="mail server up", smtp_url=sink.smtp_url())
    alone = phase(
        settings, directory, name="no worker in process", smtp_url=down_url, run_worker=False
    )
    log(
        f"  every answer waits at least {_answer_floor_ms():.0f} ms (web/timing.py, so timing "
        "cannot tell whether an account exists); the rest is work and queueing on cores shared "
        "with the load generator"
    )
    return {
        "forgot_password_p99_ms": down.p(0.99),
        "forgot_password_rps": down.rps,
        "forgot_password_p99_ms_mail_up": up.p(0.99),
        "forgot_password_rps_mail_up": up.rps,
        "forgot_password_p99_ms_no_worker": alone.p(0.99),
    }
