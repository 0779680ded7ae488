"""Where one message's time goes in our worker (``python -m tests.bench.breakdown``; not part of
``make bench``): wall time per message of each step of the dispatcher, measured by wrapping the
steps (private methods: a step the code no longer has is skipped), one connection, then the same
sink through raw aiosmtplib for comparison. The worker takes the next batch and records outcomes
while it sends, so the steps overlap: their sum exceeds the time per message."""

from __future__ import annotations

import functools
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gatehouse.mail import dispatcher, worker
from gatehouse.mail.transports import smtp
from gatehouse.runtime import build_runtime, run_loop
from gatehouse.settings import Settings
from tests.bench.common import (
    SINK_LOGIN,
    add_tenants,
    bench_database,
    bench_settings,
    log,
    migrate,
)
from tests.bench.delivery import ours, raw
from tests.bench.sink import Sink

COUNT = 600
spent: defaultdict[str, float] = defaultdict(float)

STEPS: list[tuple[Any, str, str, bool]] = [
    (worker.Worker, "take", "claim, count and record attempts (per batch)", True),
    (dispatcher.Dispatcher, "_send", "send step: render, MIME, SMTP", True),
    (dispatcher, "render", "  of which rendering", False),
    (dispatcher, "build_message", "  of which building the MIME message", False),
    (smtp.SmtpTransport, "send", "  of which SMTP (MAIL, RCPT, DATA)", True),
    (dispatcher.Dispatcher, "record", "record outcomes (in groups)", True),
]


def _timed(function: Callable[..., Any], label: str, is_async: bool) -> Callable[..., Any]:
    if is_async:

        @functools.wraps(function)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        return timed_async

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    return timed


def instrument() -> list[str]:
    labels = []
    for owner, name, label, is_async in STEPS:
        if hasattr(owner, name):
            setattr(owner, name, _timed(getattr(owner, name), label, is_async))
            labels.append(label)
    return labels


async def measure(settings: Settings, sink: Sink) -> None:
    runtime = build_runtime(settings, extra_ca_files=(sink.ca_file,))
    try:
        await add_tenants(runtime, ["bench-default"])
        await ours(runtime, sink, ["bench-default"], 100)  # warm-up
        labels = instrument()
        spent.clear()
        before = await raw(sink, COUNT, 1)
        mine = await ours(runtime, sink, ["bench-default"], COUNT)
        after = await raw(sink, COUNT, 1)
    finally:
        await runtime.close()
    log(f"our worker, 1 connection: {mine.rate:.1f} msg/s = {1000 / mine.rate:.2f} ms per message")
    for label in labels:
        log(f"  {label:<48} {1000 * spent[label] / COUNT:6.2f} ms per message")
    for m in (before, after):
        log(f"raw aiosmtplib, 1 connection: {m.rate:.1f} msg/s = {1000 / m.rate:.2f} ms/message")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="gatehouse-breakdown-") as tmp:
        directory = Path(tmp)
        with bench_database(directory) as url, Sink(directory / "sink", SINK_LOGIN) as sink:
            settings = bench_settings(
                directory / "data",
                url,
                default_smtp_url=sink.smtp_url(),
                smtp_ca_file=sink.ca_file,
                max_connections_per_tenant=1,
                default_max_connections=1,
            )
            migrate(settings)
            run_loop(measure(settings, sink))


if __name__ == "__main__":
    main()
