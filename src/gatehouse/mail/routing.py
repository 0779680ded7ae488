"""Which server and sender a tenant's e-mail goes through, resolved at send time, never cached
across configuration changes. There is no fallback: a tenant's configuration or nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from gatehouse.crypto import SecretBox
from gatehouse.errors import TransientDeliveryError
from gatehouse.mail.config import stored_endpoint
from gatehouse.mail.endpoint import SmtpEndpoint, endpoint_from_url
from gatehouse.mail.mime import split_sender
from gatehouse.mail.models import MailServerConfig
from gatehouse.mail.ses_client import SES_NOT_AVAILABLE
from gatehouse.settings import Settings

NO_DEFAULT_SERVER = (
    "No default mail server is configured for the platform (GATEHOUSE_DEFAULT_SMTP_URL): the "
    "e-mail waits for it and is tried again."
)

SES_WAITED_FOR = (
    f"{SES_NOT_AVAILABLE[:-1]}: the e-mail waits for it, or for another mail server "
    "configuration, and is tried again."
)


# The platform default's route owner: its connections are shared by every tenant without a
# configuration of its own.
DEFAULT_OWNER = "default"


@dataclass(frozen=True)
class Route:
    """``key`` names the transport instance to reuse: equal keys, same server and credentials.
    ``owner`` holds one route at a time: a new key for an owner retires the old transport."""

    key: str
    owner: str
    endpoint: SmtpEndpoint | None  # None for the SES route
    allow_private: bool
    sender_email: str
    sender_name: str
    reply_to: str | None
    kind: str = "smtp"  # smtp | ses


def default_route(settings: Settings) -> Route:
    """The platform's default server; the operator chose it, so private addresses are fine.
    Without one the e-mail waits (retried as after a temporary failure): the operator's
    setting is missing, and once set, nothing queued meanwhile is lost."""
    if not settings.default_smtp_url:
        raise TransientDeliveryError("config", NO_DEFAULT_SERVER)
    name, address = split_sender(settings.default_sender)
    return Route(
        key=DEFAULT_OWNER,
        owner=DEFAULT_OWNER,
        endpoint=endpoint_from_url(settings.default_smtp_url),
        allow_private=True,
        sender_email=address,
        sender_name=name,
        reply_to=None,
    )


def route_of(
    config: MailServerConfig | None, *, tenant_id: str, settings: Settings, box: SecretBox
) -> Route:
    """The route of ``tenant_id``'s e-mail under ``config``, its configuration as read now
    (None: it has none): its custom server, else the platform default. A custom server that
    fails is never replaced by the default."""
    if config is None:
        return default_route(settings)
    if config.mode == "ses":
        return _ses_route(config, settings)
    return Route(
        key=f"tenant:{tenant_id}:{_config_key(config)}",
        owner=f"tenant:{tenant_id}",
        endpoint=stored_endpoint(config, box),
        allow_private=settings.allow_private_mail_hosts,
        sender_email=config.sender_email,
        sender_name=config.sender_name,
        reply_to=config.reply_to,
    )


def _ses_route(config: MailServerConfig, settings: Settings) -> Route:
    """The platform's SES account with the tenant's From and Reply to. If the operator has since
    turned SES off (or this worker lacks the setting), the e-mail waits as without a default
    server, until SES is back or the tenant's administrator chooses another configuration; it
    never falls back to the default server."""
    if not settings.ses_available:
        raise TransientDeliveryError("config", SES_WAITED_FOR)
    return Route(
        key="ses",
        owner="ses",
        endpoint=None,
        allow_private=False,
        sender_email=config.sender_email,
        sender_name=config.sender_name,
        reply_to=config.reply_to,
        kind="ses",
    )


def _config_key(config: MailServerConfig) -> str:
    """Differs whenever the server or its credentials may differ. Not the version alone: a
    removed and re-created configuration starts again at version 1, and would reuse the old
    server's connection. Built from the password's ciphertext (new on every save), never the
    password itself."""
    parts = (
        config.version,
        config.host,
        config.port,
        config.security,
        config.username or "",
        config.password_encrypted or "",
    )
    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:16]
    return f"v{config.version}:{digest}"
