"""Resolve a tenant-chosen mail host once and refuse private targets (SSRF guard).

The name is resolved exactly once and the caller connects to the returned address, so a second
DNS answer cannot swap in an internal address after the check (DNS rebinding). Every address the
name resolves to is checked: one private address among public ones is enough to refuse."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from gatehouse.errors import ConfigurationError, TransientDeliveryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DNS_NOT_FOUND = "The host name {host} could not be found (DNS). Check the spelling of the host."
DNS_TEMPORARY = "The host name {host} could not be looked up right now (DNS); try again later."
DNS_TIMEOUT = "Looking up the host name {host} timed out (DNS); try again later."
# Where private targets are not allowed, a name on a private network is told as one that
# could not be found: the platform's resolver may answer names of its own network, and a
# tenant's administrator must learn neither their addresses nor which of them exist.
NOT_FOUND_OR_PRIVATE = (
    "The host name {host} could not be found (DNS), or it is on a private network, which "
    "is not allowed. Check the spelling, and use the server's public host name."
)
PRIVATE_LITERAL = (
    "The mail server address {address} is on a private network, and private network addresses "
    "are not allowed. Use the server's public host name."
)

DEFAULT_DNS_TIMEOUT = 5.0


def is_private_address(address: IPAddress) -> bool:
    """True for any address that is not a public unicast address on the internet, or that
    carries one that is not: IPv4-mapped (``::ffff:10.0.0.1``) and 6to4 (``2002:a00:1::``,
    which a relay delivers to 10.0.0.1; not every Python counts 2002::/16 as private), and
    IPv6 site-local (``fec0::/10``), which Python counts as global."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_private_address(address.ipv4_mapped)
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return True  # fec0::/10: deprecated, yet a private network's where still routed
    carried = address.sixtofour if isinstance(address, ipaddress.IPv6Address) else None
    if carried is not None and is_private_address(carried):
        return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def display_address(address: IPAddress) -> str:
    """How a person writes the address: ``::ffff:10.0.0.1``, not ``::ffff:a00:1``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _literal_address(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal (``[::1]`` brackets allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _lookup(host: str, port: int, dns_timeout: float) -> list[IPAddress]:
    """All TCP addresses of ``host``, in the resolver's order of preference."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP),
            dns_timeout,
        )
    except TimeoutError as exc:
        raise TransientDeliveryError("dns", DNS_TIMEOUT.format(host=host)) from exc
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise TransientDeliveryError("dns", DNS_TEMPORARY.format(host=host)) from exc
        raise ConfigurationError("dns", DNS_NOT_FOUND.format(host=host)) from exc
    except UnicodeError as exc:  # an unencodable IDNA label is simply not a valid host name
        raise ConfigurationError("dns", DNS_NOT_FOUND.format(host=host)) from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise ConfigurationError("dns", DNS_NOT_FOUND.format(host=host))
    return addresses


async def resolve_mail_host(
    host: str, port: int, *, allow_private: bool, dns_timeout: float = DEFAULT_DNS_TIMEOUT
) -> str:
    """The first of ``resolve_mail_addresses``."""
    addresses = await resolve_mail_addresses(
        host, port, allow_private=allow_private, dns_timeout=dns_timeout
    )
    return addresses[0]


async def resolve_mail_addresses(
    host: str, port: int, *, allow_private: bool, dns_timeout: float = DEFAULT_DNS_TIMEOUT
) -> list[str]:
    """Resolve ``host`` once and return every checked IP address, in preference order.

    Raises ConfigurationError (step ``dns``) for unknown names and, unless ``allow_private``,
    for names or literals that point at private, loopback, link-local, multicast, reserved or
    unspecified addresses (a name so, in the words of an unknown one);
    TransientDeliveryError when the resolver cannot answer now."""
    literal = _literal_address(host)
    try:
        addresses = [literal] if literal is not None else await _lookup(host, port, dns_timeout)
    except ConfigurationError as exc:  # not found
        if allow_private:
            raise
        raise ConfigurationError("dns", NOT_FOUND_OR_PRIVATE.format(host=host)) from exc
    if not allow_private:
        for address in addresses:
            if is_private_address(address):
                if literal is None:
                    raise ConfigurationError("dns", NOT_FOUND_OR_PRIVATE.format(host=host))
                raise ConfigurationError(
                    "dns", PRIVATE_LITERAL.format(address=display_address(address))
                )
    return list(dict.fromkeys(str(address) for address in addresses))
