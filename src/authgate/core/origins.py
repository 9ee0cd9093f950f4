"""Web origins (RFC 6454): of redirect URIs, of ``authorized_origins``, of ``Origin`` headers.

An origin is serialised as ``scheme://host[:port]`` with the scheme and host in lower case and
the scheme's default port left out (RFC 6454 §6.2), so equal origins compare equal as strings.
Only ``http`` and ``https`` have web origins here; private-use schemes of native apps have
none, and the opaque origin ``null`` never matches anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from authgate.errors import InvalidClientMetadata

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: Longest origin kept in the index of registered origins (``ClientStore.origin_registered``):
#: a longer one belongs to no real browser page and is simply not listed.
LISTED_ORIGIN_MAX = 255


def origin_of(uri: str) -> str | None:
    """The serialised origin of an http(s) URI, or None when it has no web origin."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def parse_origin(value: str) -> str | None:
    """A syntactically valid origin value (``Origin`` header), normalised, or None."""
    if not value or value == "null" or any(ch.isspace() or not ch.isprintable() for ch in value):
        return None
    origin = origin_of(value)
    if origin is None:
        return None
    rest = value[len(value.split("://", 1)[0]) + 3 :]
    if "/" in rest or "?" in rest or "#" in rest:
        return None
    return origin


def client_origins(redirect_uris: Iterable[str], authorized: Iterable[str]) -> frozenset[str]:
    """The origins a client's browser code runs on: redirect URIs' and ``authorized_origins``."""
    found = {origin_of(uri) for uri in redirect_uris} | {parse_origin(o) for o in authorized}
    return frozenset(o for o in found if o is not None)


def listed_origins(origins: Iterable[str]) -> list[str]:
    """The origins of a client that the index of registered origins keeps, sorted."""
    return sorted(o for o in origins if len(o) <= LISTED_ORIGIN_MAX)


def validate_authorized_origins(values: Iterable[str]) -> tuple[str, ...]:
    """Check the ``authorized_origins`` registration member: each an https origin (or http on a
    loopback host for development), with no path, query or fragment.

    Raises:
        InvalidClientMetadata: naming the offending value.
    """
    out: list[str] = []
    for value in values:
        origin = parse_origin(value) if isinstance(value, str) else None
        if origin is None:
            raise InvalidClientMetadata(
                f"Parameter authorized_origins is not valid: '{value}' is not an origin "
                "(scheme://host[:port])"
            )
        loopback = urlsplit(origin).hostname in LOOPBACK_HOSTS
        if origin.startswith("http://") and not loopback:
            raise InvalidClientMetadata(
                f"Parameter authorized_origins is not valid: '{value}' must use https "
                "(http only on a loopback host)"
            )
        if origin not in out:
            out.append(origin)
    return tuple(out)
