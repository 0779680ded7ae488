"""netguard: resolve a mail host once and refuse private targets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from gatehouse.errors import ConfigurationError, TransientDeliveryError
from gatehouse.mail.netguard import resolve_mail_host

PRIVATE_LITERALS = [
    "127.0.0.1",  # loopback
    "10.0.0.1",  # private
    "172.16.5.4",
    "192.168.1.10",
    "169.254.169.254",  # link-local (cloud metadata)
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "0.0.0.0",  # unspecified
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fec0::1",  # site-local (deprecated, still routed on some networks; "global" to Python)
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
]


def fake_resolver(answer: list[str] | BaseException) -> Callable[..., Any]:
    """A stand-in for loop.getaddrinfo returning ``answer`` (addresses) or raising it."""

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        if isinstance(answer, BaseException):
            raise answer
        infos = []
        for address in answer:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            infos.append((family, socket.SOCK_STREAM, 6, "", (address, port)))
        return infos

    return getaddrinfo


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str] | BaseException], None]:
    """Install a fake DNS answer on the running loop."""

    def install(answer: list[str] | BaseException) -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "getaddrinfo", fake_resolver(answer))

    return install


@pytest.mark.parametrize("address", PRIVATE_LITERALS)
async def test_private_literal_is_refused(address: str) -> None:
    """A literal private, loopback, link-local, multicast, reserved or mapped address is refused."""
    with pytest.raises(ConfigurationError) as caught:
        await resolve_mail_host(address, 465, allow_private=False)
    assert caught.value.step == "dns"
    assert caught.value.message == (
        f"The mail server address {address} is on a private network, and private network "
        "addresses are not allowed. Use the server's public host name."
    )


async def test_bracketed_ipv6_literal_is_checked() -> None:
    """``[::1]`` is treated as the literal ::1 and refused."""
    with pytest.raises(ConfigurationError, match="private network addresses are not allowed"):
        await resolve_mail_host("[::1]", 465, allow_private=False)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111"])
async def test_public_literal_is_returned(address: str) -> None:
    """A public literal address is returned as is, without a DNS lookup."""
    assert await resolve_mail_host(address, 465, allow_private=False) == address


async def test_private_literal_allowed_by_operator() -> None:
    """With allow_private the loopback literal is returned."""
    assert await resolve_mail_host("127.0.0.1", 465, allow_private=True) == "127.0.0.1"


NOT_FOUND_OR_PRIVATE = (
    "The host name {} could not be found (DNS), or it is on a private network, which is "
    "not allowed. Check the spelling, and use the server's public host name."
)


async def test_name_resolving_to_private_address_is_refused(resolver: Any) -> None:
    """A name whose address is private is refused as an unknown one is: the platform's
    resolver may know names of its own network, and a tenant's administrator must learn
    neither their addresses nor which of them exist (it said "is on a private network")."""
    resolver(["10.1.2.3"])
    with pytest.raises(ConfigurationError) as private:
        await resolve_mail_host("mail.example.com", 587, allow_private=False)
    resolver(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(ConfigurationError) as unknown:
        await resolve_mail_host("mail.example.com", 587, allow_private=False)
    for caught in (private, unknown):
        assert (caught.value.step, caught.value.message) == (
            "dns",
            NOT_FOUND_OR_PRIVATE.format("mail.example.com"),
        )


async def test_one_private_address_among_public_ones_is_refused(resolver: Any) -> None:
    """Every answer is checked: a private one hidden behind a public one still refuses."""
    resolver(["93.184.216.34", "::ffff:192.168.0.1"])
    with pytest.raises(ConfigurationError, match="or it is on a private network"):
        await resolve_mail_host("mail.example.com", 587, allow_private=False)


async def test_first_public_address_is_returned(resolver: Any) -> None:
    """The first resolved address is the one to connect to."""
    resolver(["93.184.216.34", "93.184.216.35"])
    assert await resolve_mail_host("mail.example.com", 587, allow_private=False) == (
        "93.184.216.34"
    )


async def test_private_name_allowed_by_operator(resolver: Any) -> None:
    """With allow_private a name resolving to a private address is accepted."""
    resolver(["10.1.2.3"])
    assert await resolve_mail_host("mail.internal", 587, allow_private=True) == "10.1.2.3"


async def test_unknown_name(resolver: Any) -> None:
    """An unknown name is a configuration error at step dns; where private targets are
    allowed (the operator's servers), nothing is to be hidden, and it says just that."""
    resolver(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(ConfigurationError) as caught:
        await resolve_mail_host("nope.example.com", 465, allow_private=True)
    assert (caught.value.step, caught.value.message) == (
        "dns",
        "The host name nope.example.com could not be found (DNS). Check the spelling of the host.",
    )


async def test_resolver_temporary_failure_is_transient(resolver: Any) -> None:
    """EAI_AGAIN (resolver unavailable) is worth retrying."""
    resolver(socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"))
    with pytest.raises(TransientDeliveryError) as caught:
        await resolve_mail_host("mail.example.com", 465, allow_private=False)
    assert caught.value.step == "dns"
    assert caught.value.message == (
        "The host name mail.example.com could not be looked up right now (DNS); try again later."
    )


async def test_resolver_timeout_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolver that does not answer in time gives a transient dns error."""

    async def slow(*_: Any, **__: Any) -> list[Any]:
        await asyncio.sleep(10)
        return []

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", slow)
    with pytest.raises(TransientDeliveryError) as caught:
        await resolve_mail_host("mail.example.com", 465, allow_private=False, dns_timeout=0.05)
    assert caught.value.step == "dns"
    assert caught.value.message == (
        "Looking up the host name mail.example.com timed out (DNS); try again later."
    )


async def test_empty_answer_is_unknown(resolver: Any) -> None:
    """A resolver answer without addresses counts as an unknown name."""
    resolver([])
    with pytest.raises(ConfigurationError, match="could not be found"):
        await resolve_mail_host("mail.example.com", 465, allow_private=False)
