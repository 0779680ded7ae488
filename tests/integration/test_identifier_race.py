"""Two transactions giving out the same sign-in identifier at once, on the real database: the
second waits for the first and is refused, where both passed the check before (no unique index
sees "bob" and "BOB", or a login name that is someone's address)."""

from __future__ import annotations

import asyncio

import pytest

from gatehouse.accounts.users import create_user
from gatehouse.errors import ConflictError
from gatehouse.runtime import Runtime
from tests.support.delivery import DeliverySetup


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            {"email": "bob@acme.test", "login_name": "bob"},
            {"email": "b2@acme.test", "login_name": "BOB"},
        ),
        ({"email": "b1@acme.test", "login_name": "chief@acme.test"}, {"email": "chief@acme.test"}),
    ],
    ids=["login-names-in-two-cases", "login-name-and-address"],
)
async def test_the_second_of_two_at_once_is_refused(
    setup: DeliverySetup, first: dict[str, str], second: dict[str, str]
) -> None:
    runtime: Runtime = await setup.runtime("smtp://127.0.0.1:1")
    async with runtime.sessions() as session_a, runtime.sessions() as session_b:
        await create_user(session_a, tenant_id="acme", **first)  # not committed yet
        racing = asyncio.create_task(create_user(session_b, tenant_id="acme", **second))
        await asyncio.sleep(0.5)
        assert not racing.done()  # it waits for the first transaction to end
        await session_a.commit()
        with pytest.raises(ConflictError):
            await racing
