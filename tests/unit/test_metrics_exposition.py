"""/metrics as Prometheus reads it: the families, their types and HELP texts, no labels but
the histogram's buckets (no tenant ever), and no ``_created`` timestamps posing as figures."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from gatehouse.metrics import Metrics

EXPECTED = [
    (
        "gatehouse_mail_sent",
        "counter",
        "E-mails this process delivered (the mail server or SES accepted them)",
    ),
    (
        "gatehouse_mail_failed",
        "counter",
        "E-mails this process failed for good (a permanent error, or too old to retry)",
    ),
    (
        "gatehouse_mail_retried",
        "counter",
        "Attempts of this process that failed for now; the e-mail is tried again later",
    ),
    (
        "gatehouse_mail_delivery_seconds",
        "histogram",
        "Seconds from queueing to delivery, of the e-mails this process delivered",
    ),
    (
        "gatehouse_mail_queued",
        "gauge",
        "E-mails queued or being sent by any process (from the database, when scraped)",
    ),
]


def test_the_exposition_parses_with_meaningful_help_and_no_labels() -> None:
    """Each family once, as documented; before, each counter had a ``_created`` gauge whose
    HELP repeated the counter's ("E-mails delivered" for a timestamp)."""
    metrics = Metrics()
    metrics.sent.inc()
    metrics.latency.observe(0.3)
    metrics.queued.set(4)
    families = list(text_string_to_metric_families(metrics.render().decode()))
    assert [(f.name, f.type, f.documentation) for f in families] == EXPECTED
    labels = {name for f in families for sample in f.samples for name in sample.labels}
    assert labels == {"le"}


def test_a_process_that_sends_nothing_leaves_the_delivery_figures_out() -> None:
    """A web process without a worker: its counters would always say 0 beside the workers'."""
    metrics = Metrics()
    metrics.without_delivery_figures()
    families = list(text_string_to_metric_families(metrics.render().decode()))
    assert [f.name for f in families] == ["gatehouse_mail_queued"]
