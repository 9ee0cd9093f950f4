"""The address a request comes from, as brute-force protection, rate limits and security
events count it.

The peer address of the connection, unless that peer is a configured trusted proxy
(``AUTHGATE_TRUSTED_PROXIES``): then the client address that proxy reports in ``Forwarded``
(RFC 7239) or ``X-Forwarded-For``, read from the right, skipping further trusted proxies.
A header from any other peer is ignored, so a client cannot choose the address it is counted
under.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from authgate.settings import IPNetwork

UNKNOWN = "unknown"


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("["):  # [v6]:port
        value = value[1 : value.find("]")] if "]" in value else value
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def _forwarded_chain(request: Request) -> list[str]:
    """Client addresses named by the proxies, nearest last."""
    chain: list[str] = []
    for header in request.headers.getlist("forwarded"):
        for element in header.split(","):
            for pair in element.split(";"):
                name, _, value = pair.partition("=")
                if name.strip().lower() == "for":
                    chain.append(value)
    if not chain:
        for header in request.headers.getlist("x-forwarded-for"):
            chain.extend(header.split(","))
    return chain


def client_address(request: Request, networks: tuple[IPNetwork, ...]) -> str:
    """The address ``request`` is counted under (see the module docstring)."""
    peer = request.client.host if request.client else UNKNOWN
    if not networks or not _trusted(peer, networks):
        return peer
    for hop in reversed(_forwarded_chain(request)):
        parsed = _address(hop)
        if parsed is None:
            return peer  # a malformed entry: do not trust anything further left
        if not any(parsed in network for network in networks):
            return str(parsed)
    return peer


def source(request: Request) -> str:
    """The request's source address under this server's trusted proxies."""
    return client_address(request, request.app.state.runtime.settings.trusted_proxy_networks)
