"""What the SES transport leaves in the logs at DEBUG, with a local moto server as SES: neither
the e-mail (its reset link) nor the platform's AWS credentials. botocore logs each request at
DEBUG, its body (the raw message, base64) and its signed headers (the session token of
temporary credentials) among them, and an operator debugging delivery turns DEBUG on."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from gatehouse.mail.ses_client import SesClient
from gatehouse.mail.transports.ses import SesTransport
from gatehouse.settings import Settings
from tests.support.moto_ses import PLATFORM_DOMAIN, REGION, MotoSes

TOKEN = "Zq3-link-token-of-a-reset-0123456789"
SESSION_TOKEN = "session-token-of-the-platform-0123456789"
MESSAGE = (
    f"From: no-reply@{PLATFORM_DOMAIN}\r\nTo: jane@demo.test\r\nSubject: Reset\r\n\r\n"
    f"http://demo.localhost/reset-password?token={TOKEN}\r\n"
).encode()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG, from every logger there is."""
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    changed = [(logger, logger.level) for logger in loggers]
    for logger, _ in changed:
        logger.setLevel(logging.DEBUG)
    yield caplog
    for logger, level in changed:
        logger.setLevel(level)


async def test_sending_through_ses_logs_no_message_and_no_credentials(
    moto_ses: MotoSes,
    worker_settings: Settings,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At DEBUG: the message is sent, and no log line holds it or the session token."""
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    settings = worker_settings.model_copy(
        update={
            "ses_region": REGION,
            "ses_endpoint_url": moto_ses.url,
            "ses_default_domain": PLATFORM_DOMAIN,
        }
    )
    transport = SesTransport(SesClient(settings))
    reply = await transport.send(
        MESSAGE, sender=f"no-reply@{PLATFORM_DOMAIN}", recipients=["jane@demo.test"]
    )
    assert reply.startswith("accepted as ")
    logged = "\n".join(record.getMessage() for record in debug_logs.records)
    assert any(record.levelno == logging.DEBUG for record in debug_logs.records)
    assert base64.b64encode(MESSAGE).decode()[:40] not in logged
    assert TOKEN not in logged
    assert SESSION_TOKEN not in logged
