"""A tenant's custom mail server configuration: field validation, the password bound to where
it may be sent, and the one-per-tenant record with its change log.

Saving is validate -> probe -> store; see ``mail_server.py`` in the web layer for the flow."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse import audit
from gatehouse.crypto import SecretBox
from gatehouse.db.base import utcnow
from gatehouse.errors import UndecryptableSecretError, ValidationError
from gatehouse.mail.addresses import normalize_email, reject_control_characters
from gatehouse.mail.endpoint import DEFAULT_PORTS, Security, SmtpEndpoint
from gatehouse.mail.models import MailServerConfig
from gatehouse.plain_text import reject_hidden

RESOURCE = "mail-server"
SECURITY_CHOICES = ("ssl", "starttls")
AUTH_CHOICES = ("none", "password")
RATE_LIMIT_RANGE = (30, 600)
HOST_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PASSWORD_REQUIRED = "Enter the password."
PASSWORD_REBIND = (
    "Enter the password again: the host, port, security or user name changed, and the stored "
    "password is only ever sent to the server it was entered for."
)
# The key it was stored with is gone from GATEHOUSE_SECRET_KEYS: only a new entry helps.
PASSWORD_UNDECRYPTABLE = "Enter the password again: the stored one can no longer be decrypted."
# Fields recorded in the change log, in display order; the password only as "changed".
LOGGED_FIELDS = (
    "host",
    "port",
    "security",
    "authentication",
    "username",
    "sender_email",
    "sender_name",
    "reply_to",
    "rate_limit_per_minute",
)


@dataclass(frozen=True)
class CustomServerInput:
    """Validated fields of a custom server; ``password`` None means "keep the stored one"."""

    host: str
    port: int
    security: str
    authentication: str
    username: str | None
    sender_email: str
    sender_name: str
    reply_to: str | None
    rate_limit_per_minute: int | None
    password: str | None = field(default=None, repr=False)

    def binding(self) -> tuple[str, int, str, str | None]:
        """Where the password may be sent: changing any of these needs the password again."""
        return (self.host, self.port, self.security, self.username)

    def logged_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in LOGGED_FIELDS}


def _text(raw: dict[str, Any], name: str, *, max_length: int) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(name, "Must be text.")
    value = value.strip()
    reject_hidden(value, field=name)  # the sender's name goes into every e-mail's From
    if len(value) > max_length:
        raise ValidationError(name, f"At most {max_length} characters.")
    return value


def validate_host(value: str) -> str:
    """A DNS name (internationalised names become their ASCII form) or an IP address."""
    if not value:
        raise ValidationError("host", "Enter the mail server's host name.")
    candidate = value.strip("[]")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    try:
        ascii_name = value.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError("host", f"{value!r} is not a valid host name.") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(HOST_LABEL_RE.fullmatch(label) for label in labels):
        raise ValidationError("host", f"{value!r} is not a valid host name.")
    return ascii_name


def _port(raw: dict[str, Any], security: str) -> int:
    value = raw.get("port")
    if value in (None, ""):
        return DEFAULT_PORTS[security]
    try:
        port = int(str(value).strip())
    except ValueError:
        raise ValidationError("port", "The port must be a whole number.") from None
    if not 1 <= port <= 65535:
        raise ValidationError("port", "The port must be between 1 and 65535.")
    return port


def _choice(raw: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = raw.get(name) or default
    if value not in choices:
        raise ValidationError(name, f"Choose one of: {', '.join(choices)}.")
    return str(value)


def _rate_limit(raw: dict[str, Any]) -> int | None:
    value = raw.get("rate_limit_per_minute")
    if value in (None, ""):
        return None
    low, high = RATE_LIMIT_RANGE
    message = f"Leave empty, or enter {low} to {high} e-mails per minute."
    try:
        limit = int(str(value).strip())
    except ValueError:
        raise ValidationError("rate_limit_per_minute", message) from None
    if not low <= limit <= high:
        raise ValidationError("rate_limit_per_minute", message)
    return limit


def _password(raw: dict[str, Any]) -> str | None:
    value = raw.get("password")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationError("password", "Must be text.")
    if len(value) > 512:
        raise ValidationError("password", "At most 512 characters.")
    reject_control_characters(value, field="password")
    return value


def validate_custom(raw: dict[str, Any]) -> CustomServerInput:
    """Every field checked in form order; the first problem raises, naming its field."""
    host = validate_host(_text(raw, "host", max_length=253))
    security = _choice(raw, "security", SECURITY_CHOICES, "ssl")
    port = _port(raw, security)
    authentication = _choice(raw, "authentication", AUTH_CHOICES, "password")
    username = _text(raw, "username", max_length=256) or None
    password = _password(raw)
    if authentication == "password" and not username:
        raise ValidationError("username", "Enter the user name, or choose Authentication: None.")
    if authentication == "none":
        username, password = None, None
    sender_raw = _text(raw, "sender_email", max_length=254)
    if not sender_raw:
        raise ValidationError("sender_email", "Enter the sender e-mail address.")
    sender_email = normalize_email(sender_raw, field="sender_email")
    sender_name = _text(raw, "sender_name", max_length=100)
    reply_raw = _text(raw, "reply_to", max_length=254)
    reply_to = normalize_email(reply_raw, field="reply_to") if reply_raw else None
    return CustomServerInput(
        host=host,
        port=port,
        security=security,
        authentication=authentication,
        username=username,
        sender_email=sender_email,
        sender_name=sender_name,
        reply_to=reply_to,
        rate_limit_per_minute=_rate_limit(raw),
        password=password,
    )


def resolve_password(
    wanted: CustomServerInput, current: MailServerConfig | None, box: SecretBox
) -> str | None:
    """The password to use: the one typed, or the stored one if it stays bound to the same host,
    port, security and user name. Raises naming the password field otherwise."""
    if wanted.authentication == "none":
        return None
    if wanted.password is not None:
        return wanted.password
    stored = current.password_encrypted if current and current.mode == "custom" else None
    if stored is None or current is None:
        raise ValidationError("password", PASSWORD_REQUIRED)
    if (current.host, current.port, current.security, current.username) != wanted.binding():
        raise ValidationError("password", PASSWORD_REBIND)
    try:
        return box.decrypt(stored)
    except UndecryptableSecretError:  # before, a 500 (console and API)
        raise ValidationError("password", PASSWORD_UNDECRYPTABLE) from None


def endpoint_for(wanted: CustomServerInput, password: str | None) -> SmtpEndpoint:
    return SmtpEndpoint(
        wanted.host, wanted.port, _security(wanted.security), wanted.username, password
    )


def stored_endpoint(config: MailServerConfig, box: SecretBox) -> SmtpEndpoint:
    password = box.decrypt(config.password_encrypted) if config.password_encrypted else None
    return SmtpEndpoint(
        config.host, config.port, _security(config.security), config.username, password
    )


def _security(value: str) -> Security:
    return "ssl" if value == "ssl" else "starttls"


async def get_config(session: AsyncSession, tenant_id: str) -> MailServerConfig | None:
    return await session.get(MailServerConfig, tenant_id)


async def store_custom(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    wanted: CustomServerInput,
    password: str | None,
    box: SecretBox,
) -> MailServerConfig:
    """Create or replace the tenant's configuration (an SES one included) and log the change."""
    current = await get_config(session, tenant_id)
    before = _logged(current) if current and current.mode == "custom" else {}
    config = current or MailServerConfig(tenant_id=tenant_id, version=0)
    action = "update" if current is not None else "create"
    config.mode = "custom"
    for name in LOGGED_FIELDS:
        setattr(config, name, getattr(wanted, name))
    password_changed = wanted.password is not None
    config.password_encrypted = box.encrypt(password) if password is not None else None
    config.version += 1
    config.updated_at = utcnow()
    config.updated_by = actor
    session.add(config)
    secret = {"password": audit.SECRET_CHANGED} if password_changed else {}
    await log_saved(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        mode="custom",
        before=before,
        after={**wanted.logged_values(), **secret},
    )
    await session.flush()
    return config


async def log_saved(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    mode: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Log a saved configuration by what changed: the mode only when it did (``before`` is
    empty: created, or from the other mode), then each value of ``after`` that differs from
    ``before``. A save that changes nothing logs nothing."""
    changes: dict[str, Any] = {} if before else {"mode": mode}
    changes |= {k: v for k, v in after.items() if before.get(k, object()) != v}
    if changes:
        await audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            resource=RESOURCE,
            action=action,
            changes=changes,
        )


async def remove_config(session: AsyncSession, *, tenant_id: str, actor: str) -> bool:
    """Return the tenant to the default server; False when there was nothing to remove."""
    current = await get_config(session, tenant_id)
    if current is None:
        return False
    await session.delete(current)
    await audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        resource=RESOURCE,
        action="delete",
        changes={"mode": "default"},
    )
    await session.flush()
    return True


def _logged(config: MailServerConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in LOGGED_FIELDS}


def public_view(config: MailServerConfig | None) -> dict[str, Any]:
    """What may be shown of a configuration: everything but the password, plus password_set."""
    if config is None:
        return {"mode": "default"}
    if config.mode == "ses":
        return {
            "mode": "ses",
            **ses_addresses(config),
            "updated_at": config.updated_at,
            "updated_by": config.updated_by,
        }
    return {
        "mode": config.mode,
        **_logged(config),
        "password_set": config.password_encrypted is not None,
        "updated_at": config.updated_at,
        "updated_by": config.updated_by,
    }


def ses_addresses(config: MailServerConfig) -> dict[str, str | None]:
    """The SES option's From and Reply to, split into user name and domain."""
    from_username, _, from_domain = config.sender_email.partition("@")
    reply_username, _, reply_domain = (config.reply_to or "").partition("@")
    return {
        "sender_email": config.sender_email,
        "reply_to": config.reply_to,
        "from_username": from_username,
        "from_domain": from_domain,
        "reply_to_username": reply_username or None,
        "reply_to_domain": reply_domain or None,
    }
