"""Prometheus metrics of one process. No per-tenant labels: tenants are many, series are not."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.sent = Counter("gatehouse_mail_sent", "E-mails delivered", registry=r)
        self.failed = Counter("gatehouse_mail_failed", "E-mails that failed for good", registry=r)
        self.retried = Counter(
            "gatehouse_mail_retried", "Attempts that will be retried", registry=r
        )
        self.latency = Histogram(
            "gatehouse_mail_delivery_seconds",
            "Time from enqueue to delivery",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queued = Gauge("gatehouse_mail_queued", "E-mails waiting or being sent", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
