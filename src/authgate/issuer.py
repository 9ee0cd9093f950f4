"""The issuer identifier's shape, checked when the process settings are read.

authgate serves every endpoint at ``scheme://host[:port]``, so that is the only shape an
issuer may have: an absolute ``https`` URL, or ``http`` on a loopback address (RFC 8414 §2
requires https; loopback is for development), without a path, query, fragment, user
information or whitespace.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

#: Host names that always resolve to this machine (RFC 6761 §6.3).
LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is loopback."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_unspecified(host: str) -> bool:
    """Whether ``host`` means "every interface" (``0.0.0.0``, ``::``)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return host == ""


def url_host(host: str) -> str:
    """``host`` as it appears in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def check_issuer(value: str) -> str:
    """The issuer without a trailing slash.

    Raises:
        ValueError: saying what is wrong and what the value should look like.
    """
    if any(c.isspace() for c in value):
        raise ValueError(f"{value!r} contains whitespace; write the URL without spaces")
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        example = ("" if "://" in value else value.split("/", 1)[0]) or "login.example.com"
        raise ValueError(
            f"{value!r} is not an absolute URL: write it with its scheme, e.g. https://{example}"
        )
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} must start with https:// (or http:// on a loopback address)")
    if "@" in parts.netloc:
        raise ValueError(f"{value!r} must not contain user information")
    try:
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"{value!r} has an invalid port") from None
    if not host:
        raise ValueError(f"{value!r} has no host")
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r} must not have a query or fragment (RFC 8414 §2)")
    if parts.path not in ("", "/"):
        raise ValueError(
            f"{value!r} has a path ({parts.path}): authgate serves its endpoints at "
            f"scheme://host[:port] only, so use {parts.scheme}://{parts.netloc}"
        )
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError(
            f"{value!r} uses plain http on a host that is not loopback: use "
            f"https://{parts.netloc} (http is allowed only on localhost, 127.0.0.1 and ::1)"
        )
    return f"{parts.scheme}://{parts.netloc}"
