"""Rows whose use is over are deleted (housekeeping.py): sessions a day after they expired,
links 30 days after, the per-user limit's records two days later, the per-client limits' once
out of their hour; the others stay."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gatehouse import housekeeping
from gatehouse.accounts.models import LimitedEmail, LinkToken, WebSession
from gatehouse.db.base import utcnow
from gatehouse.db.engine import is_sqlite
from gatehouse.housekeeping import purge_expired
from gatehouse.processes.models import ClientAttempt
from gatehouse.runtime import Runtime


def session_row(name: str, expires_at: datetime) -> WebSession:
    return WebSession(
        token_hash=name, tenant_id="acme", user_id="u1", kind="user", expires_at=expires_at
    )


def link_row(name: str, expires_at: datetime) -> LinkToken:
    return LinkToken(
        token_hash=name,
        tenant_id="acme",
        user_id="u1",
        purpose="reset-password",
        expires_at=expires_at,
    )


def limited_row(name: str, at: datetime) -> LimitedEmail:
    return LimitedEmail(
        id=name, tenant_id="acme", user_id="u1", process="forgot-password", outcome="counted", at=at
    )


def attempt_row(name: str, at: datetime) -> ClientAttempt:
    return ClientAttempt(
        id=name, tenant_id="acme", kind="failed-logon", network="203.0.113.7", created_at=at
    )


async def left(runtime: Runtime) -> set[str]:
    async with runtime.sessions() as session:
        return {
            *(await session.scalars(select(WebSession.token_hash))).all(),
            *(await session.scalars(select(LinkToken.token_hash))).all(),
            *(await session.scalars(select(LimitedEmail.id))).all(),
            *(await session.scalars(select(ClientAttempt.id))).all(),
        }


async def test_rows_whose_use_is_over_are_deleted_and_the_others_kept(
    acme_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(housekeeping, "BATCH", 1)  # a batch at a time
    now = utcnow()
    rows = [
        session_row("session-expired-2-days", now - timedelta(days=2)),
        session_row("session-expired-2-days-too", now - timedelta(days=2)),
        session_row("session-expired-12-hours", now - timedelta(hours=12)),
        session_row("session-live", now + timedelta(hours=8)),
        link_row("link-expired-31-days", now - timedelta(days=31)),
        link_row("link-expired-29-days", now - timedelta(days=29)),
        link_row("link-live", now + timedelta(hours=2)),
        limited_row("limited-3-days", now - timedelta(days=3)),
        limited_row("limited-1-day", now - timedelta(days=1)),
        attempt_row("attempt-61-minutes", now - timedelta(minutes=61)),
        attempt_row("attempt-59-minutes", now - timedelta(minutes=59)),
    ]
    async with acme_runtime.sessions.begin() as session:
        session.add_all(rows)
    before = await left(acme_runtime)
    postgres = not is_sqlite(acme_runtime.engine)
    purged = await purge_expired(acme_runtime.sessions, locking=postgres)
    assert purged == 5
    assert before - await left(acme_runtime) == {
        "session-expired-2-days",
        "session-expired-2-days-too",
        "link-expired-31-days",
        "limited-3-days",
        "attempt-61-minutes",
    }
    assert await purge_expired(acme_runtime.sessions, locking=postgres) == 0
