"""Domains added at once, on the real database with a local moto server as SES: the rules that
hold one at a time (at most 2 domains per tenant, a domain and its subdomains one tenant's)
hold for requests sent together too, and no identity is made in SES for a refused domain.
Requests used to pass the checks while SES answered, and all were stored: a tenant sending
four at once had four domains (and could fill the platform's SES account)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from botocore.exceptions import ClientError

from gatehouse.errors import ConflictError, ValidationError
from gatehouse.mail import ses
from gatehouse.mail.ses_client import DnsRecord, SesClient
from gatehouse.processes.onboarding import onboard_tenant
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from tests.support.moto_ses import PLATFORM_DOMAIN, REGION, MotoSes


class TogetherSes(SesClient):
    """The platform's SES (moto), where each domain's creation waits (a second at most) until
    ``parties`` were created: requests that may check at once have all checked before any is
    stored."""

    def __init__(self, settings: Settings, parties: int) -> None:
        super().__init__(settings)
        self._barrier = asyncio.Barrier(parties)

    async def create_identity(self, domain: str) -> list[DnsRecord]:
        records = await super().create_identity(domain)
        with contextlib.suppress(TimeoutError, asyncio.BrokenBarrierError):
            await asyncio.wait_for(self._barrier.wait(), timeout=1)
        return records


@pytest.fixture
async def runtime(clean_db: Settings, moto_ses: MotoSes) -> AsyncIterator[Runtime]:
    moto_ses.reset()
    settings = clean_db.model_copy(
        update={
            "ses_region": REGION,
            "ses_endpoint_url": moto_ses.url,
            "ses_default_domain": PLATFORM_DOMAIN,
        }
    )
    runtime = build_runtime(settings)
    async with runtime.sessions.begin() as session:
        for tenant_id in ("acme", "zeta"):
            await onboard_tenant(
                session,
                settings=settings,
                display_name=tenant_id.title(),
                admin_email=f"a@{tenant_id}.test",
                tenant_id=tenant_id,
                admin_password="Acme-Admin-1",
            )
    yield runtime
    await runtime.close()


async def add(runtime: Runtime, client: SesClient, tenant_id: str, domain: str) -> str:
    """Add Domain in a transaction of its own: "added", or the refusal's message."""
    try:
        async with runtime.sessions.begin() as session:
            await ses.add_domain(
                session,
                client,
                tenant_id=tenant_id,
                domain=domain,
                actor="test",
                settings=runtime.settings,
            )
    except ValidationError as exc:
        return exc.message
    return "added"


async def stored(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.sessions() as session:
        rows = [*await ses.list_domains(session, "acme"), *await ses.list_domains(session, "zeta")]
    return sorted((row.tenant_id, row.domain) for row in rows)


def in_ses(moto: MotoSes, domain: str) -> bool:
    try:
        moto.client().get_email_identity(EmailIdentity=domain)
    except ClientError:
        return False
    return True


async def test_four_domains_added_at_once_leave_two(runtime: Runtime, moto_ses: MotoSes) -> None:
    """Four at once: two are stored, two refused by the limit, with no identity in SES."""
    client = TogetherSes(runtime.settings, parties=4)
    domains = [f"d{n}.acme.test" for n in range(4)]
    answers = await asyncio.gather(*(add(runtime, client, "acme", d) for d in domains))
    assert sorted(answers) == ["A tenant can have at most 2 domains."] * 2 + ["added"] * 2
    kept = [domain for domain, answer in zip(domains, answers, strict=True) if answer == "added"]
    assert await stored(runtime) == [("acme", domain) for domain in sorted(kept)]
    assert [d for d in domains if in_ses(moto_ses, d)] == kept


async def test_the_same_domain_added_by_two_tenants_at_once(
    runtime: Runtime, moto_ses: MotoSes
) -> None:
    """One tenant gets it; the other is told it is registered, and the identity stays."""
    client = TogetherSes(runtime.settings, parties=2)
    answers = await asyncio.gather(
        add(runtime, client, "acme", "shared.test"), add(runtime, client, "zeta", "shared.test")
    )
    assert sorted(answers) == ["The domain shared.test is already registered.", "added"]
    owner = "acme" if answers[0] == "added" else "zeta"
    assert await stored(runtime) == [(owner, "shared.test")]
    assert in_ses(moto_ses, "shared.test")


async def test_a_domain_and_its_subdomain_added_by_two_tenants_at_once(
    runtime: Runtime, moto_ses: MotoSes
) -> None:
    """A parent and its subdomain at once: one tenant keeps its own, the other is refused."""
    client = TogetherSes(runtime.settings, parties=2)
    answers = await asyncio.gather(
        add(runtime, client, "acme", "example.test"),
        add(runtime, client, "zeta", "mail.example.test"),
    )
    overlap = {
        "added": "",
        "example.test": ses.RELATED_ELSEWHERE.format(
            domain="example.test", other="mail.example.test"
        ),
        "mail.example.test": ses.RELATED_ELSEWHERE.format(
            domain="mail.example.test", other="example.test"
        ),
    }
    assert answers in (
        ["added", overlap["mail.example.test"]],
        [overlap["example.test"], "added"],
    )
    assert len(await stored(runtime)) == 1


async def test_a_domain_is_not_deleted_while_a_configuration_choosing_it_is_saved(
    runtime: Runtime,
) -> None:
    """Delete Domain sent while Save of an SES configuration on that domain is between its
    check and its write waits for the save, then is refused as for a domain in use (it deleted
    the domain, and the configuration was stored on a domain that no longer existed)."""
    client = SesClient(runtime.settings)
    async with runtime.sessions.begin() as session:
        await ses.add_domain(
            session,
            client,
            tenant_id="acme",
            domain="acme.test",
            actor="t",
            settings=runtime.settings,
        )
        (await ses.get_domain(session, "acme", "acme.test")).status = "verified"
    checked, go = asyncio.Event(), asyncio.Event()

    async def save() -> None:
        async with runtime.sessions.begin() as session:
            raw = {"from_username": "it", "from_domain": "acme.test"}
            wanted = await ses.validate_ses(
                session, raw, tenant_id="acme", settings=runtime.settings
            )
            checked.set()
            await go.wait()
            await ses.store_ses(session, tenant_id="acme", actor="t", wanted=wanted)

    async def delete() -> str:
        try:
            async with runtime.sessions.begin() as session:
                await ses.delete_domain(
                    session, client, tenant_id="acme", domain="acme.test", actor="t"
                )
        except ConflictError as exc:
            return str(exc)
        return "deleted"

    saving = asyncio.create_task(save())
    await checked.wait()
    deleting = asyncio.create_task(delete())
    await asyncio.sleep(0.3)  # the delete runs now, or waits for the save
    go.set()
    await saving
    assert await deleting == (
        "The domain acme.test is used by the SES configuration; change or remove it first."
    )
    async with runtime.sessions() as session:
        assert [d.domain for d in await ses.list_domains(session, "acme")] == ["acme.test"]
