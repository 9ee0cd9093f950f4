"""Where the requests authgate makes to clients' URLs may go: one policy for the
sector_identifier_uri, jwks_uri and back-channel logout fetches (all through
:class:`authgate.outbound.client.OutboundClient`).

Anyone can register a client, so every URL it names is a way to make the server send
requests (server-side request forgery): to the loopback interface, to the private network
the server runs in, to a cloud metadata service. By default a request may go only to public
addresses: loopback, private, link-local, carrier-grade NAT, multicast, unspecified and
reserved addresses are refused, also when an IPv6 address embeds one (IPv4-mapped, 6to4,
Teredo, NAT64). The check is made on every address the host name resolves to, before
connecting, and the connection then goes to an address that was checked, so a DNS answer
that changes between the check and the connection (rebinding) cannot redirect it.

Operators who must reach internal hosts list them in ``outbound_allow``
(``AUTHGATE_OUTBOUND_ALLOW``): networks and addresses (allowed whatever they are) and host
names (allowed whatever they resolve to). Nothing is allowed by default.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

from authgate.errors import OutboundError
from authgate.settings import IPNetwork, Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(OutboundError):
    """The policy refused the destination; nothing was sent to it."""


def _embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (6to4, Teredo client, NAT64)."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a public unicast address (and so is any address it embeds)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # the IPv4 address itself, on a dual stack
            return is_public(address.ipv4_mapped)
        inner = _embedded(address)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """The destinations allowed beyond public addresses, and the limits of every request.

    Attributes:
        allowed_networks: Addresses in these networks are allowed whatever they are.
        allowed_hosts: These host names (lower-case) are allowed whatever they resolve to.
        connect_timeout: Seconds to resolve and connect.
        timeout: Seconds for a whole exchange (resolve, connect, TLS, send, read), unless
            the caller gives its own.
        max_bytes: Largest response body read, unless the caller gives its own limit.
    """

    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    connect_timeout: float = 3.0
    timeout: float = 5.0
    max_bytes: int = 64 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls(
            allowed_networks=settings.outbound_allowed_networks,
            allowed_hosts=settings.outbound_allowed_hosts,
        )

    def allows(self, host: str, address: IPAddress) -> bool:
        """Whether a connection to ``address``, which ``host`` resolved to, is allowed."""
        if host.lower().rstrip(".") in self.allowed_hosts:
            return True
        if any(address in network for network in self.allowed_networks):
            return True
        return is_public(address)

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of ``host`` to connect to, every one of them allowed.

        Raises:
            OutboundRefused: the host does not resolve, or resolves to an address the
                policy refuses (then none is returned: a host is trusted whole or not).
        """
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except (OSError, UnicodeError):
                raise OutboundRefused(f"the host {host} cannot be resolved") from None
            addresses = list(
                dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
            )
        if not addresses:
            raise OutboundRefused(f"the host {host} cannot be resolved")
        for address in addresses:
            if not self.allows(host, address):
                raise OutboundRefused(f"the host {host} does not resolve to a public address")
        return addresses
