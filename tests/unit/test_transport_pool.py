"""The transport pool's cap on open connections: least recently used idle transports are
retired first, and one in use is never retired (its message would open another connection)."""

from __future__ import annotations

from gatehouse.mail.endpoint import SmtpEndpoint
from gatehouse.mail.routing import Route
from gatehouse.mail.transports.pool import TransportPool
from gatehouse.mail.trust import build_tls_context
from gatehouse.settings import Settings


def route(tenant: str) -> Route:
    return Route(
        key=f"tenant:{tenant}:v1",
        owner=f"tenant:{tenant}",
        endpoint=SmtpEndpoint("mail.example.com", 587, "starttls", None, None),
        allow_private=False,
        sender_email=f"mail@{tenant}.example",
        sender_name="",
        reply_to=None,
    )


async def test_the_cap_retires_idle_transports_never_busy_ones() -> None:
    settings = Settings(_env_file=None, worker_max_connections=2)
    pool = TransportPool(settings, build_tls_context())
    first, second = pool.get(route("a")), pool.get(route("b"))
    for transport in (first, second):
        transport._users += 1  # type: ignore[attr-defined]  # both sending
    third = pool.get(route("c"))
    assert pool.get(route("a")) is first  # busy: kept, though over the cap
    assert pool.get(route("b")) is second
    for transport in (first, second):
        transport._users -= 1  # type: ignore[attr-defined]
    fourth = pool.get(route("d"))  # all idle now: the least recently used go
    assert pool.get(route("b")) is second
    assert pool.get(route("c")) is not third  # retired, a new one was made
    assert fourth is not third
    await pool.close()
