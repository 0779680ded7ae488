"""Which server and sender a tenant's e-mail goes through, resolved at send time, never cached
across configuration changes. There is no fallback: a tenant's configuration or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.errors import ConfigurationError
from gatehouse.mail.endpoint import SmtpEndpoint, endpoint_from_url
from gatehouse.mail.mime import split_sender
from gatehouse.settings import Settings

NO_DEFAULT_SERVER = (
    "No default mail server is configured for the platform (GATEHOUSE_DEFAULT_SMTP_URL)."
)


@dataclass(frozen=True)
class Route:
    """``key`` names the transport instance to reuse: equal keys, same server and credentials."""

    key: str
    endpoint: SmtpEndpoint
    allow_private: bool
    sender_email: str
    sender_name: str
    reply_to: str | None


def default_route(settings: Settings) -> Route:
    """The platform's default server; the operator chose it, so private addresses are fine."""
    if not settings.default_smtp_url:
        raise ConfigurationError("config", NO_DEFAULT_SERVER)
    name, address = split_sender(settings.default_sender)
    return Route(
        key="default",
        endpoint=endpoint_from_url(settings.default_smtp_url),
        allow_private=True,
        sender_email=address,
        sender_name=name,
        reply_to=None,
    )


async def resolve_route(session: AsyncSession, *, tenant_id: str, settings: Settings) -> Route:
    """The route for one e-mail of ``tenant_id`` now."""
    del session, tenant_id  # the tenant's own configuration arrives with the custom server issue
    return default_route(settings)
