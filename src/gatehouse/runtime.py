"""The long-lived objects one process shares: settings, database, secret box, TLS context, and
the signal that wakes the worker when a request has queued mail."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.crypto import SecretBox, load_secret_box
from gatehouse.db.engine import SessionFactory, create_engine, create_session_factory
from gatehouse.mail.trust import build_tls_context
from gatehouse.metrics import Metrics
from gatehouse.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    secret_box: SecretBox
    tls_context: ssl.SSLContext
    mail_queued: asyncio.Event = field(default_factory=asyncio.Event)
    metrics: Metrics = field(default_factory=Metrics)

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
