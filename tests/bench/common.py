"""What every benchmark shares: a freshly migrated database (SQLite in a temporary directory,
or a private PostgreSQL database when GATEHOUSE_BENCH_POSTGRES_URL is set), settings, fast bulk
inserts of tenants, users, configurations and messages, and the machine's description."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete, insert

from gatehouse.accounts.models import User
from gatehouse.crypto import load_secret_box
from gatehouse.db.base import new_id, utcnow
from gatehouse.db.migrate import upgrade
from gatehouse.mail.models import DeliveryAttempt, MailServerConfig, OutboxMessage
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from gatehouse.tenants.models import Tenant
from tests.support.postgres import private_database

SINK_LOGIN = ("bench", "bench-secret")
CONTEXT = {"user": {"sp_name": "Bench", "ids_home_link": "http://bench.localhost/"}}
POSTGRES_ENV = "GATEHOUSE_BENCH_POSTGRES_URL"


def log(line: str = "") -> None:
    print(line, flush=True)


@contextmanager
def bench_database(directory: Path) -> Iterator[str]:
    """The URL of an empty database, removed afterwards."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        yield f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}"
        return
    with private_database(server, "gatehouse_bench") as url:
        yield url


def bench_settings(directory: Path, database_url: str, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=directory,
        database_url=database_url,
        secret_keys=Fernet.generate_key().decode(),
        allow_private_mail_hosts=True,  # every server here listens on 127.0.0.1
        default_sender="Bench <no-reply@bench.test>",
        **overrides,
    )


def migrate(settings: Settings) -> None:
    upgrade(settings)  # Alembic runs a loop of its own: call outside asyncio.run()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a ``gatehouse`` process use ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"GATEHOUSE_{name.upper()}"] = str(value)
    return env


async def add_tenants(runtime: Runtime, ids: Sequence[str]) -> None:
    now = utcnow()
    rows = [{"id": i, "display_name": f"Tenant {i}", "created_at": now} for i in ids]
    async with runtime.sessions.begin() as session:
        await session.execute(insert(Tenant), rows)


async def add_custom_configs(runtime: Runtime, tenant_ids: Sequence[str], port: int) -> None:
    """Every tenant gets its own custom configuration (STARTTLS + login) pointing at the sink."""
    box = load_secret_box(runtime.settings)
    user, password = SINK_LOGIN
    now = utcnow()
    rows = [
        {
            "tenant_id": tenant_id,
            "mode": "custom",
            "host": "127.0.0.1",
            "port": port,
            "security": "starttls",
            "authentication": "password",
            "username": user,
            "password_encrypted": box.encrypt(password),
            "sender_email": f"mail@{tenant_id}.test",
            "sender_name": f"Tenant {tenant_id}",
            "reply_to": None,
            "rate_limit_per_minute": None,
            "version": 1,
            "updated_at": now,
            "updated_by": "bench",
        }
        for tenant_id in tenant_ids
    ]
    async with runtime.sessions.begin() as session:
        await session.execute(insert(MailServerConfig), rows)


async def add_users(runtime: Runtime, tenant_id: str, emails: Sequence[str]) -> None:
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "email": email,
            "first_name": "Bench",
            "last_name": "User",
            "language": "en",
            "status": "active",
            "created_at": now,
        }
        for email in emails
    ]
    async with runtime.sessions.begin() as session:
        await session.execute(insert(User), rows)


async def enqueue_spread(runtime: Runtime, tenant_ids: Sequence[str], count: int) -> None:
    """``count`` test e-mails, round-robin over ``tenant_ids``, in one transaction."""
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "tenant_id": tenant_ids[n % len(tenant_ids)],
            "process": "test-email",
            "language": "en",
            "recipient": f"r{n}@sink.test",
            "context": CONTEXT,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in range(count)
    ]
    async with runtime.sessions.begin() as session:
        for start in range(0, len(rows), 1000):
            await session.execute(insert(OutboxMessage), rows[start : start + 1000])


async def clear_outbox(runtime: Runtime) -> None:
    async with runtime.sessions.begin() as session:
        await session.execute(delete(DeliveryAttempt))
        await session.execute(delete(OutboxMessage))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def machine() -> dict[str, str]:
    """nproc, CPU model, memory, Python, database and date, for docs/benchmarks.md."""
    cpu = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        kernel = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
    except OSError:
        kernel = platform.release()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {kernel}",
        "python": sys.version.split()[0],
        "database": "PostgreSQL" if os.environ.get(POSTGRES_ENV) else "SQLite (temporary file)",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
