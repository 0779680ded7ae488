"""A logon whose password check is still running when other logons lock the password, on the
real database: it is refused, as every logon after the lock is. It read the user before the
lock, and a batch of guesses sent at once got past the five allowed that way (each request
reads the user, then spends tens of milliseconds in argon2)."""

from __future__ import annotations

import asyncio

import pytest

from gatehouse.accounts import passwords
from gatehouse.accounts.lockout import LOCK_AFTER_FAILURES
from gatehouse.processes import logon
from gatehouse.runtime import Runtime
from gatehouse.tenants.service import get_tenant
from tests.support.delivery import DeliverySetup

ADMIN = "admin@acme.test"
PASSWORD = "Acme-Admin-1"
ORIGIN = "http://acme.localhost"


async def attempt(runtime: Runtime, password: str) -> bool:
    """One logon in a transaction of its own; True when it signed in."""
    async with runtime.sessions() as session:
        tenant = await get_tenant(session, "acme")
        result = await logon.log_on(
            session,
            tenant=tenant,
            identifier=ADMIN,
            password=password,
            origin=ORIGIN,
            network="203.0.113.7",
            limit=runtime.settings.failed_logons_per_client_hour,
        )
        await session.commit()
        return result.user is not None


async def test_a_logon_checking_its_password_while_the_lock_comes_is_refused(
    setup: DeliverySetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The right password, read before five wrong ones lock it and checked after: refused."""
    runtime = await setup.runtime("smtp://127.0.0.1:1")
    checking, locked = asyncio.Event(), asyncio.Event()
    verify = passwords.verify_password

    async def slow_verify(password_hash: str | None, password: str) -> bool:
        if password == PASSWORD:  # the racing logon: its user was read before the lock
            checking.set()
            await locked.wait()
        return await asyncio.to_thread(verify, password_hash, password)

    monkeypatch.setattr(logon, "verify_password_off_loop", slow_verify)
    racing = asyncio.create_task(attempt(runtime, PASSWORD))
    await checking.wait()
    for n in range(LOCK_AFTER_FAILURES):
        assert not await attempt(runtime, f"Wrong-{n}")
    locked.set()
    assert not await racing
    assert not await attempt(runtime, PASSWORD)  # still locked: the race did not clear it
