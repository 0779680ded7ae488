"""Domain verification states: Pending -> Verified, or Failed after 72 hours without it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.db.base import utcnow
from gatehouse.mail import ses
from gatehouse.mail.models import SesDomain
from gatehouse.mail.ses_client import DnsRecord, IdentityState
from gatehouse.runtime import Runtime


class PendingSes:
    """SES answering "not verified yet" for every domain (a stand-in for one module's test)."""

    def __init__(self, state: IdentityState) -> None:
        self.state = state

    async def create_identity(self, domain: str) -> list[DnsRecord]:
        return [DnsRecord("TXT", domain, "v=spf1 include:amazonses.com ~all")]

    async def identity_state(self, domain: str) -> IdentityState:
        return self.state


async def add_and_age(acme_runtime: Runtime, client: PendingSes, age: timedelta) -> None:
    async with acme_runtime.sessions.begin() as session:
        record = await ses.add_domain(
            session,
            client,
            tenant_id="acme",
            domain="acme.test",  # type: ignore[arg-type]
            actor="test",
            settings=acme_runtime.settings,
        )
        record.created_at = utcnow() - age


async def verify(acme_runtime: Runtime, client: PendingSes) -> str:
    async with acme_runtime.sessions.begin() as session:
        record = await ses.verify_domain(session, client, tenant_id="acme", domain="acme.test")  # type: ignore[arg-type]
        return record.status


@pytest.mark.parametrize(
    ("age", "state", "expected"),
    [
        (timedelta(hours=1), IdentityState(verified=False, failed=False), "pending"),
        (timedelta(hours=71), IdentityState(verified=False, failed=False), "pending"),
        (timedelta(hours=73), IdentityState(verified=False, failed=False), "failed"),
        (timedelta(hours=73), IdentityState(verified=True, failed=False), "verified"),
        (timedelta(hours=1), IdentityState(verified=False, failed=True), "failed"),
    ],
)
async def test_verification_state(
    acme_runtime: Runtime, age: timedelta, state: IdentityState, expected: str
) -> None:
    """Verified when SES says so; Failed when SES says so or after 72 hours; else Pending."""
    client = PendingSes(state)
    await add_and_age(acme_runtime, client, age)
    assert await verify(acme_runtime, client) == expected
    async with acme_runtime.sessions() as session:
        record = await session.get(SesDomain, "acme.test")
    assert record is not None and record.status == expected and record.checked_at is not None


async def test_only_verified_domains_are_choosable(acme_runtime: Runtime) -> None:
    """A pending domain is not offered; the platform's domain always is."""
    client = PendingSes(IdentityState(verified=False, failed=False))
    await add_and_age(acme_runtime, client, timedelta(hours=1))
    settings = acme_runtime.settings.model_copy(update={"ses_default_domain": "mail.platform.test"})
    async with acme_runtime.sessions() as session:
        assert await ses.choosable_domains(session, "acme", settings) == ["mail.platform.test"]
