"""The address a request comes from, as brute-force protection, rate limits and security
events count it.

The peer address of the connection, unless that peer is a configured trusted proxy
(``AUTHGATE_TRUSTED_PROXIES``): then the client address that proxy reports in ``Forwarded``
(RFC 7239) or ``X-Forwarded-For``, read from the right, skipping further trusted proxies.
A header from any other peer is ignored, so a client cannot choose the address it is counted
under.

Several layers ask for it (rate limits, the endpoint, the access log): it is worked out once
per request and kept in the ASGI scope under :data:`SCOPE_KEY`.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

from authgate.settings import IPNetwork

UNKNOWN = "unknown"
#: The scope entry holding the request's source address once it has been worked out.
SCOPE_KEY = "authgate.source"


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


def _forwarded_chain(headers: Headers) -> list[str]:
    """Client addresses named by the proxies, nearest last."""
    chain: list[str] = []
    for header in headers.getlist("forwarded"):
        for element in header.split(","):
            for pair in element.split(";"):
                name, _, value = pair.partition("=")
                if name.strip().lower() == "for":
                    chain.append(value)
    if not chain:
        for header in headers.getlist("x-forwarded-for"):
            chain.extend(header.split(","))
    return chain


def scope_address(scope: Scope, networks: tuple[IPNetwork, ...]) -> str:
    """The address the request of ``scope`` is counted under (see the module docstring),
    worked out on the first call and kept in the scope."""
    cached: str | None = scope.get(SCOPE_KEY)
    if cached is not None:
        return cached
    client = scope.get("client")
    peer: str = client[0] if client else UNKNOWN
    address = peer
    if networks and _trusted(peer, networks):
        for hop in reversed(_forwarded_chain(Headers(scope=scope))):
            parsed = _address(hop)
            if parsed is None:
                break  # a malformed entry: do not trust anything further left
            if not any(parsed in network for network in networks):
                address = str(parsed)
                break
    scope[SCOPE_KEY] = address
    return address


def client_address(request: Request, networks: tuple[IPNetwork, ...]) -> str:
    """The address ``request`` is counted under (see the module docstring)."""
    return scope_address(request.scope, networks)


def source(request: Request) -> str:
    """The request's source address under this server's trusted proxies."""
    return scope_address(request.scope, request.app.state.runtime.settings.trusted_proxy_networks)
