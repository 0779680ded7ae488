"""Where and how to reach one SMTP server: the value both the probe and the SMTP transport use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from gatehouse.errors import ValidationError

Security = Literal["ssl", "starttls"]
DEFAULT_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587}
SECURITY_LABELS: dict[str, str] = {"ssl": "SSL/TLS", "starttls": "STARTTLS"}  # as pages name them


@dataclass(frozen=True, slots=True)
class SmtpEndpoint:
    """An SMTP server. ``ssl`` is implicit TLS; ``starttls`` is STARTTLS, required, never optional.
    ``password`` is excluded from repr so it cannot leak through a log line or a traceback."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """``host:port`` for attempt records and messages (never credentials)."""
        return f"{self.host}:{self.port}"

    @property
    def described(self) -> str:
        """``host:port (SSL/TLS)``: the server of an attempt, as the delivery log shows it."""
        return f"{self.label} ({SECURITY_LABELS[self.security]})"


def endpoint_from_url(url: str) -> SmtpEndpoint:
    """``smtps://[user:pass@]host[:465]`` (implicit TLS) or ``smtp://[user:pass@]host[:587]``
    (STARTTLS required)."""
    parts = urlsplit(url)
    schemes: dict[str, Security] = {"smtps": "ssl", "smtp": "starttls"}
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationError(
            "GATEHOUSE_DEFAULT_SMTP_URL", "must look like smtps://host:465 or smtp://host:587"
        )
    security = schemes[parts.scheme]
    return SmtpEndpoint(
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[security],
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
