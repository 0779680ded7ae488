"""The long-lived objects one process shares: settings, database, secret box, TLS context, and
the signal that wakes the worker when a request has queued mail."""

from __future__ import annotations

import asyncio
import gc
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.crypto import SecretBox, load_secret_box
from gatehouse.db.engine import SessionFactory, create_engine, create_session_factory
from gatehouse.mail.trust import build_tls_context
from gatehouse.metrics import Metrics
from gatehouse.settings import Settings

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    secret_box: SecretBox
    tls_context: ssl.SSLContext
    mail_queued: asyncio.Event = field(default_factory=asyncio.Event)
    metrics: Metrics = field(default_factory=Metrics)
    # This release's migrations were found applied (/healthz checks until they are: a process
    # started while the database was away could not check at start).
    schema_current: bool = False

    def wake_worker(self) -> None:
        """Called after a commit that queued mail, so an in-process worker starts at once."""
        self.mail_queued.set()

    async def close(self) -> None:
        await self.engine.dispose()


def build_runtime(settings: Settings, *, extra_ca_files: tuple[Path, ...] = ()) -> Runtime:
    ca_files = (*((settings.smtp_ca_file,) if settings.smtp_ca_file else ()), *extra_ca_files)
    engine = create_engine(settings)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        secret_box=load_secret_box(settings),
        tls_context=build_tls_context(extra_ca_files=ca_files),
    )


def freeze_heap() -> None:
    """Set aside everything alive now (modules, mappers, compiled templates and statements) for
    a long-running process: it is never freed, and a full collection walked all of it, a pause
    of about 90 ms every few thousand e-mails in the worker (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed, as uvicorn does for ``serve``: the
    worker's SMTP and TLS work costs about a third less (docs/benchmarks.md)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop does not run on Windows
        return asyncio.run(main)
    return uvloop.run(main)
