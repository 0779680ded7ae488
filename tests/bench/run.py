"""``make bench``: every benchmark in one run, on loopback only, in a few minutes on 2 cores.

Prints the machine, each benchmark's figures, and ends with one ``name=value`` line per figure.
SQLite in a temporary directory by default; PostgreSQL when GATEHOUSE_BENCH_POSTGRES_URL names a
server (a private database is created and dropped)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from gatehouse.runtime import run_loop
from tests.bench.common import (
    SINK_LOGIN,
    bench_database,
    bench_settings,
    log,
    machine,
    migrate,
)
from tests.bench.delivery import ratios, tenants_1000
from tests.bench.forgot import forgot_password
from tests.bench.sink import Sink


def main() -> None:
    started = time.monotonic()
    log("== machine")
    for key, text in machine().items():
        log(f"  {key}: {text}")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as tmp:
        directory = Path(tmp)
        with bench_database(directory) as url, Sink(directory / "sink", SINK_LOGIN) as sink:
            settings = bench_settings(
                directory / "data",
                url,
                default_smtp_url=sink.smtp_url(),
                smtp_ca_file=sink.ca_file,
            )
            migrate(settings)
            log(f"== sink: aiosmtpd STARTTLS + AUTH on 127.0.0.1:{sink.port}, pid {sink.pid}")
            log("== delivery ratios")
            figures |= run_loop(ratios(settings, sink))  # the loop `gatehouse worker` runs on
            log("== 1,000 tenants")
            figures |= tenants_1000(settings, sink, directory)
            log("== forgot password while the mail server is down")
            figures |= forgot_password(settings, sink, directory)
    log(f"== done in {time.monotonic() - started:.0f} s")
    for name, value in figures.items():
        log(f"{name}={value:.3f}" if "ratio" in name else f"{name}={value:.1f}")


if __name__ == "__main__":
    main()
