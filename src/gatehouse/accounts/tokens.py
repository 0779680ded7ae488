"""Single-use link tokens: 32 random bytes in the link, only the SHA-256 hash in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import LinkToken, User
from gatehouse.crypto import hash_token, new_token
from gatehouse.db.base import utcnow
from gatehouse.errors import TokenError

RESET_PASSWORD = "reset-password"
ACTIVATE_ACCOUNT = "activate-account"

TOKEN_UNKNOWN = "This link is not valid. Request a new one."
TOKEN_USED = "This link has already been used. Request a new one if you still need it."
TOKEN_EXPIRED = "This link has expired."
TOKEN_RENEWED = "This link has expired. A new link has already been sent to you."
TOKEN_SUPERSEDED = (
    "This link is no longer valid: the password was set after it was sent. Request a new one "
    "if you still need it."
)


@dataclass(frozen=True)
class UsedLink:
    """A link that set a user's password, and the application its process started from."""

    user: User
    application_id: str | None


async def issue_token(
    session: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    purpose: str,
    valid_for: timedelta,
    process: str | None = None,
    application_id: str | None = None,
) -> str:
    """A new link token; ``process`` names the e-mail that carries it and ``application_id``
    the application it started from (to renew it alike, and to return there)."""
    token = new_token()
    session.add(
        LinkToken(
            token_hash=hash_token(token),
            tenant_id=tenant_id,
            user_id=user_id,
            purpose=purpose,
            process=process,
            application_id=application_id,
            expires_at=utcnow() + valid_for,
        )
    )
    await session.flush()
    return token


async def peek_token(
    session: AsyncSession, *, tenant_id: str, token: str, purpose: str
) -> LinkToken:
    """The valid token record, or TokenError saying why not (unknown, used, renewed, expired)."""
    record = await find_token(session, tenant_id=tenant_id, token=token, purpose=purpose)
    if record is None:
        raise TokenError(TOKEN_UNKNOWN)
    if record.used_at is not None:
        raise TokenError(TOKEN_USED)
    if record.renewed_at is not None:
        raise TokenError(TOKEN_RENEWED)
    if record.expires_at <= utcnow():
        raise TokenError(TOKEN_EXPIRED)
    return record


def check_current(record: LinkToken, password_changed_at: datetime | None) -> None:
    """TokenError if the link was sent before the user's password was last set (with another
    link, or by the user): every link sent until then stops working, or an old e-mail (a
    mailbox read by someone else, say) would still set the password."""
    if password_changed_at is not None and record.created_at < password_changed_at:
        raise TokenError(TOKEN_SUPERSEDED)


async def find_token(
    session: AsyncSession, *, tenant_id: str, token: str, purpose: str, fresh: bool = False
) -> LinkToken | None:
    """The link's row; ``fresh`` reads it again over what the session already holds."""
    query = select(LinkToken).where(
        LinkToken.token_hash == hash_token(token),
        LinkToken.tenant_id == tenant_id,
        LinkToken.purpose == purpose,
    )
    return await session.scalar(query.execution_options(populate_existing=fresh))


async def mark_renewed(session: AsyncSession, record: LinkToken) -> bool:
    """Mark an expired, unused link as renewed, atomically: of two concurrent visits of the same
    expired link exactly one gets True (and sends the new link)."""
    result = await session.execute(
        update(LinkToken)
        .where(
            LinkToken.token_hash == record.token_hash,
            LinkToken.used_at.is_(None),
            LinkToken.renewed_at.is_(None),
            LinkToken.expires_at <= utcnow(),
        )
        .values(renewed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def consume_token(
    session: AsyncSession, *, tenant_id: str, token: str, purpose: str
) -> LinkToken:
    """Mark the token used, atomically: of two concurrent uses exactly one wins."""
    record = await peek_token(session, tenant_id=tenant_id, token=token, purpose=purpose)
    result = await session.execute(
        update(LinkToken)
        .where(LinkToken.token_hash == record.token_hash, LinkToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise TokenError(TOKEN_USED)
    return record


async def revoke_unused(session: AsyncSession, *, tenant_id: str, user_id: str) -> None:
    """Every link of the user not used yet stops working (its address changed: they went to
    the old one). Such a link is then unknown."""
    await session.execute(
        delete(LinkToken).where(
            LinkToken.tenant_id == tenant_id,
            LinkToken.user_id == user_id,
            LinkToken.used_at.is_(None),
        )
    )
