"""The mail server every delivery benchmark sends to: aiosmtpd with STARTTLS and AUTH required,
in a process of its own (spawned), accepting everything and only counting.

Counters live in shared memory so the benchmark reads them without talking SMTP: messages
(recipients) accepted, connections open now and at most, and the monotonic time (system-wide
on Linux) of the first connection and of the last accepted message."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.synchronize
import resource
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.smtp_servers import Pki, free_port

SINK_HOST = "127.0.0.1"


@dataclass
class Counters:
    """Shared between the sink process and the benchmark."""

    accepted: Any  # multiprocessing.Value("q")
    open_now: Any
    open_peak: Any
    connections: Any
    first_connection: Any  # multiprocessing.Value("d"), 0.0 until the first one
    last_message: Any

    def reset(self) -> None:
        with self.accepted.get_lock():
            self.accepted.value = 0
            self.open_peak.value = self.open_now.value
            self.connections.value = 0
            self.first_connection.value = 0.0
            self.last_message.value = 0.0


def _serve(
    port: int,
    cert_file: str,
    login: tuple[str, str],
    counters: Counters,
    ready: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
) -> None:
    """The sink process: runs until ``stop`` is set."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    from tests.support.smtp_servers import make_authenticator

    logging.getLogger("mail.log").setLevel(logging.ERROR)  # a deprecation notice per login

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 tenants, 1,000 connections
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file)
    lock = counters.accepted.get_lock()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with lock:
                counters.accepted.value += len(envelope.rcpt_tos)
                counters.last_message.value = time.monotonic()
            return "250 2.0.0 OK"

    class CountingSMTP(SMTP):
        counted = False

        def connection_made(self, transport: Any) -> None:
            if self.counted:  # called again when STARTTLS completes: the same connection
                super().connection_made(transport)
                return
            self.counted = True
            with lock:
                counters.open_now.value += 1
                counters.connections.value += 1
                counters.open_peak.value = max(counters.open_peak.value, counters.open_now.value)
                if not counters.first_connection.value:
                    counters.first_connection.value = time.monotonic()
            super().connection_made(transport)

        def connection_lost(self, error: Exception | None) -> None:
            with lock:
                counters.open_now.value -= 1
            super().connection_lost(error)

    class SinkController(Controller):
        def factory(self) -> SMTP:
            return CountingSMTP(self.handler, **self.SMTP_kwargs)

    controller = SinkController(
        Handler(),
        hostname=SINK_HOST,
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=make_authenticator(*login),
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    """Start with ``with Sink(directory, login) as sink:``; ``sink.port``, ``sink.counters``."""

    def __init__(self, directory: Path, login: tuple[str, str]) -> None:
        self.pki = Pki(directory)
        self.login = login
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self.counters = Counters(
            accepted=context.Value("q", 0),
            open_now=context.Value("q", 0, lock=False),
            open_peak=context.Value("q", 0, lock=False),
            connections=context.Value("q", 0, lock=False),
            first_connection=context.Value("d", 0.0, lock=False),
            last_message=context.Value("d", 0.0, lock=False),
        )
        self._ready = context.Event()
        self._stop = context.Event()
        cert_file = directory / "sink.pem"
        self.pki.ca.issue_cert(SINK_HOST, "localhost").private_key_and_cert_chain_pem.write_to_path(
            str(cert_file)
        )
        self._process = context.Process(
            target=_serve,
            args=(self.port, str(cert_file), login, self.counters, self._ready, self._stop),
            name="bench-sink",
            daemon=True,
        )

    @property
    def ca_file(self) -> Path:
        return self.pki.ca_file

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def client_context(self) -> ssl.SSLContext:
        return self.pki.client_context()

    def smtp_url(self) -> str:
        user, password = self.login
        return f"smtp://{user}:{password}@{SINK_HOST}:{self.port}"

    def accepted(self) -> int:
        return int(self.counters.accepted.value)

    def __enter__(self) -> Sink:
        self._process.start()
        if not self._ready.wait(30):
            self._process.kill()
            raise RuntimeError("the sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
