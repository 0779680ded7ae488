"""Key rotation's last step: every stored secret encrypted again under the newest key of
GATEHOUSE_SECRET_KEYS, so the older keys can be removed. The stored secrets are the tenants'
custom mail server passwords (mail_server_configs.password_encrypted)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.crypto import SecretBox
from gatehouse.errors import GatehouseError
from gatehouse.mail.models import MailServerConfig


@dataclass
class Reencrypted:
    """How many secrets now use the newest key, and the tenants whose secret no current key
    decrypts (left as they were)."""

    count: int = 0
    undecryptable: list[str] = field(default_factory=list)


async def reencrypt_secrets(session: AsyncSession, box: SecretBox) -> Reencrypted:
    """Encrypt every stored secret again under ``box``'s newest key, in the caller's
    transaction. Nothing else of a configuration changes (its version and change log stay:
    the password is the same)."""
    outcome = Reencrypted()
    configs = await session.scalars(
        select(MailServerConfig)
        .where(MailServerConfig.password_encrypted.is_not(None))
        .order_by(MailServerConfig.tenant_id)
        .with_for_update()
    )
    for config in configs:
        ciphertext = config.password_encrypted
        if ciphertext is None:  # the query's condition: for the type checker
            continue
        try:
            config.password_encrypted = box.reencrypt(ciphertext)
        except GatehouseError:
            outcome.undecryptable.append(config.tenant_id)
            continue
        outcome.count += 1
    return outcome
