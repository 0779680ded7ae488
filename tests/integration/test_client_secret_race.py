"""Add Secret sent twice at once for a system with one secret: one is added, the other is
refused, so a system never has more than two (both were added: three secrets)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from gatehouse.accounts import clients
from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import ApiClientSecret
from gatehouse.errors import ConflictError
from gatehouse.runtime import Runtime


async def test_two_secrets_added_at_once_leave_two_in_all(acme_runtime: Runtime) -> None:
    """Both requests read one secret before either wrote; now the second waits for the first."""
    async with acme_runtime.sessions.begin() as session:
        new = await clients.create_client(
            session,
            tenant_id="acme",
            name="ops",
            authorizations=frozenset({Authorization.READ_USERS}),
        )

    async def add() -> str:
        async with acme_runtime.sessions.begin() as session:
            try:
                await clients.add_secret(
                    session, tenant_id="acme", client_id=new.client_id, expiry="never", actor="t"
                )
            except ConflictError as exc:
                return str(exc)
            return "added"

    outcomes = await asyncio.gather(add(), add())
    async with acme_runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).where(ApiClientSecret.client_id == new.client_id)
        )
    assert sorted(outcomes) == sorted(["added", clients.TOO_MANY_SECRETS])
    assert count == 2
