"""Saving a tenant's mail server configuration: validate the fields, probe the server, and only
then store. Shared by the console and the REST API, so both give the same answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.errors import ValidationError
from gatehouse.mail import ses
from gatehouse.mail.check_limit import count_check
from gatehouse.mail.config import (
    endpoint_for,
    get_config,
    resolve_password,
    store_custom,
    validate_custom,
)
from gatehouse.mail.models import MailServerConfig
from gatehouse.mail.probe import ProbeReport, probe_smtp
from gatehouse.mail.ses_client import SES_NOT_AVAILABLE
from gatehouse.runtime import Runtime

CONFIGURATION_SAVED = "Configuration saved"
CONFIGURATION_REMOVED = "Configuration removed"


async def probe_custom(
    runtime: Runtime, session: AsyncSession, *, tenant_id: str, raw: dict[str, Any]
) -> ProbeReport:
    """Validate and probe without storing anything (the password may be the stored one, if it
    stays bound to the same server). Raises ValidationError, LimitReachedError past the
    tenant's checks in the hour (check_limit.py), or the probe's DeliveryError."""
    wanted = validate_custom(raw)
    current = await get_config(session, tenant_id)
    password = resolve_password(wanted, current, runtime.secret_box)
    settings = runtime.settings
    await count_check(
        session, tenant_id=tenant_id, limit=settings.mail_server_checks_per_tenant_hour
    )
    await session.commit()  # the count; and no transaction waits on the probe
    return await probe_smtp(
        endpoint_for(wanted, password),
        tls_context=runtime.tls_context,
        allow_private=settings.allow_private_mail_hosts,
        connect_timeout=settings.smtp_connect_timeout,
        overall_timeout=settings.smtp_timeout,
        sender=wanted.sender_email,
        local_hostname=settings.ehlo_name(),
    )


async def save_custom(
    runtime: Runtime, session: AsyncSession, *, tenant_id: str, actor: str, raw: dict[str, Any]
) -> MailServerConfig:
    """Validate -> probe -> store -> commit. Nothing is stored unless every check passed."""
    await probe_custom(runtime, session, tenant_id=tenant_id, raw=raw)
    wanted = validate_custom(raw)
    current = await get_config(session, tenant_id)
    password = resolve_password(wanted, current, runtime.secret_box)
    config = await store_custom(
        session,
        tenant_id=tenant_id,
        actor=actor,
        wanted=wanted,
        password=password,
        box=runtime.secret_box,
    )
    await session.commit()
    return config


async def save_ses(
    runtime: Runtime, session: AsyncSession, *, tenant_id: str, actor: str, raw: dict[str, Any]
) -> MailServerConfig:
    """Validate the SES addresses (verified domains only) and store, replacing any other
    configuration of the tenant."""
    if not runtime.settings.ses_available:
        raise ValidationError("mode", SES_NOT_AVAILABLE)
    wanted = await ses.validate_ses(session, raw, tenant_id=tenant_id, settings=runtime.settings)
    config = await ses.store_ses(session, tenant_id=tenant_id, actor=actor, wanted=wanted)
    await session.commit()
    return config
