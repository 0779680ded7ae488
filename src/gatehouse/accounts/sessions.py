"""Server-side, revocable web sessions. The cookie holds a random token; the table its hash."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import WebSession
from gatehouse.crypto import hash_token, new_token
from gatehouse.db.base import utcnow


async def start_session(
    session: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    kind: str,
    hours: int,
    email_code_passed: bool = False,
) -> str:
    """A new session; returns the token for the cookie (a fresh one at every sign-in)."""
    token = new_token()
    session.add(
        WebSession(
            token_hash=hash_token(token),
            tenant_id=tenant_id,
            user_id=user_id,
            kind=kind,
            email_code_passed=email_code_passed,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    await session.flush()
    return token


async def load_session(
    session: AsyncSession, *, tenant_id: str, token: str, kind: str
) -> WebSession | None:
    """The live session of this tenant and kind for ``token``, else None."""
    return await session.scalar(
        select(WebSession).where(
            WebSession.token_hash == hash_token(token),
            WebSession.tenant_id == tenant_id,
            WebSession.kind == kind,
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > utcnow(),
        )
    )


async def revoke_session(session: AsyncSession, *, token: str, tenant_id: str) -> None:
    """End the session of ``token``, only if it belongs to the tenant of the host."""
    await session.execute(
        update(WebSession)
        .where(
            WebSession.token_hash == hash_token(token),
            WebSession.tenant_id == tenant_id,
            WebSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )


async def end_sessions(session: AsyncSession, *, tenant_id: str, user_id: str) -> None:
    """End every live session of the user, console and end-user alike."""
    await session.execute(
        update(WebSession)
        .where(
            WebSession.tenant_id == tenant_id,
            WebSession.user_id == user_id,
            WebSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
