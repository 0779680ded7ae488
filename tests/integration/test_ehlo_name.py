"""The name Gatehouse gives in EHLO, at a real TLS server: the platform's base domain, or
GATEHOUSE_SMTP_EHLO_NAME; never the machine's own name (a container's is no fully qualified
domain, and relays may refuse that)."""

from __future__ import annotations

from gatehouse.mail.configure import save_custom
from tests.support.delivery import PLATFORM_LOGIN, DeliverySetup, platform_url, queue
from tests.support.smtp_servers import Pki, SmtpServer


async def test_the_base_domain_is_the_ehlo_name_by_default(setup: DeliverySetup, pki: Pki) -> None:
    """Without GATEHOUSE_SMTP_EHLO_NAME, an e-mail is sent after EHLO <base domain>."""
    async with SmtpServer(pki, security="starttls", credentials=PLATFORM_LOGIN) as server:
        runtime = await setup.runtime(platform_url(server.port), base_domain="id.example.test")
        await queue(runtime, "u0@acme.test")
        assert await setup.worker(runtime).run_once() == 1
    assert set(server.handler.ehlo_names) == {"id.example.test"}  # before and after STARTTLS


async def test_the_configured_ehlo_name_is_given_by_the_probe_and_the_worker(
    setup: DeliverySetup, pki: Pki
) -> None:
    """GATEHOUSE_SMTP_EHLO_NAME: the check when a tenant saves its server and the e-mails
    sent through it both give that name."""
    async with SmtpServer(pki, security="ssl") as server:
        runtime = await setup.runtime(
            "", base_domain="id.example.test", smtp_ehlo_name="mail.example.test"
        )
        async with runtime.sessions() as session:
            await save_custom(
                runtime,
                session,
                tenant_id="acme",
                actor="admin@acme.test",
                raw={
                    "host": "localhost",
                    "port": str(server.port),
                    "security": "ssl",
                    "authentication": "none",
                    "sender_email": "mail@acme.test",
                },
            )
        assert server.handler.ehlo_names == ["mail.example.test"]  # the probe's
        await queue(runtime, "u0@acme.test")
        assert await setup.worker(runtime).run_once() == 1
    assert server.handler.ehlo_names == ["mail.example.test"] * 2
    assert len(server.handler.messages) == 1
