"""The short form of ``make reliability``: 10 s of forgot-password load while the mail server is
down, the worker killed with SIGKILL and restarted twice, then the mail server up. No 5xx,
one e-mail per answer, every e-mail delivered exactly once (counted at the SMTP sink)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_load_with_the_mail_server_down_and_the_worker_killed_loses_nothing() -> None:
    """Runs tests/reliability/run.py (first retry after 1 s instead of 30 s) and reads its
    figures: every check passed, and the run did what it says."""
    command = [
        sys.executable,
        "-m",
        "tests.reliability.run",
        "--seconds=10",
        "--concurrency=16",
        "--retry-seconds=1",
        "--drain-timeout=90",
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, env=dict(os.environ)
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-3000:]
    figures = json.loads(lines[-1].removeprefix("RESULT "))
    assert figures["problems"] == [], figures
    assert done.returncode == 0
    assert figures["requests"] > 50 and figures["statuses"] == {"200": figures["requests"]}
    assert figures["errors"] == 0 and figures["worker_kills"] == 2
    assert figures["queued"] == figures["delivered"] == figures["requests"]
    assert figures["duplicates"] == 0 and figures["lost"] == 0
    assert figures["retried"] > 0  # the mail server really was down at first
