"""Prometheus metrics of one process. No per-tenant labels: tenants are many, series are not.

A web process answers them at /metrics (with the queue's depth, counted in the database); a
``gatehouse worker``, which has no web server, on a port of its own (``--metrics-port``): the
sent, failed, retried and latency figures are counted by the process that sends (a web process
with ``run_worker`` off leaves them out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        # No ``*_created`` gauge beside each counter: a start timestamp under the counter's
        # HELP, which dashboards took for a figure (a process-wide switch of prometheus_client).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        r = self.registry
        self.sent = Counter(
            "gatehouse_mail_sent",
            "E-mails this process delivered (the mail server or SES accepted them)",
            registry=r,
        )
        self.failed = Counter(
            "gatehouse_mail_failed",
            "E-mails this process failed for good (a permanent error, or too old to retry)",
            registry=r,
        )
        self.retried = Counter(
            "gatehouse_mail_retried",
            "Attempts of this process that failed for now; the e-mail is tried again later",
            registry=r,
        )
        self.latency = Histogram(
            "gatehouse_mail_delivery_seconds",
            "Seconds from queueing to delivery, of the e-mails this process delivered",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queued = Gauge(
            "gatehouse_mail_queued",
            "E-mails queued or being sent by any process (from the database, when scraped)",
            registry=r,
        )

    def without_delivery_figures(self) -> None:
        """For a web process without a worker: it sends nothing, and counters that always say 0
        beside the workers' would be summed into dashboards as if they were figures."""
        for collector in (self.sent, self.failed, self.retried, self.latency):
            self.registry.unregister(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def serve_for_worker(self, *, host: str, port: int) -> WSGIServer:
        """Answer the delivery figures at http://host:port/metrics from a thread of their own.
        The queue's depth is left out: a worker never counts it (it would always say 0), a web
        process's /metrics does. Raises OSError when the port cannot be had."""
        self.registry.unregister(self.queued)
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server
