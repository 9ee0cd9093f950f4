"""Redirect URI rules: what may be registered (RFC 7591, RFC 8252) and how requests match.

Matching is exact string comparison (RFC 9700 §4.1.3, OAuth 2.1 §2.3.1). The single
exception is the port of a loopback IP literal redirect for native apps (RFC 8252 §7.3).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from authgate.core.types import ApplicationType
from authgate.errors import InvalidRedirectUri

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _is_loopback_ip(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(uri: str) -> SplitResult:
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidRedirectUri(f"redirect URI '{uri}' cannot be parsed") from exc
    return parts


def validate_registered(
    uri: str,
    application_type: ApplicationType,
    whitelist: Sequence[str] = ("*",),
    blacklist: Sequence[str] = (),
) -> None:
    """Check one redirect URI offered at registration.

    Rules: absolute URI, no fragment (RFC 6749 §3.1.2), no user info; web clients use https,
    or http on a loopback host for local development; native clients may also use private-use
    schemes (RFC 8252 §7.1) and loopback http (§7.3), never http on another host.

    Raises:
        InvalidRedirectUri: with a description naming the URI and the rule.
    """
    if not isinstance(uri, str) or not uri:
        raise InvalidRedirectUri("redirect_uris entries must be non-empty strings")
    if any(ch.isspace() for ch in uri):
        raise InvalidRedirectUri(f"redirect URI '{uri}' contains whitespace")
    parts = _split(uri)
    if not parts.scheme:
        raise InvalidRedirectUri(f"redirect URI '{uri}' is not an absolute URI")
    if "#" in uri:
        raise InvalidRedirectUri(
            f"redirect URI '{uri}' has a fragment, which RFC 6749 §3.1.2 forbids"
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidRedirectUri(f"redirect URI '{uri}' must not contain user information")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme in ("http", "https"):
        if not host:
            raise InvalidRedirectUri(f"redirect URI '{uri}' has no host")
        if scheme == "http" and host not in LOOPBACK_HOSTS:
            raise InvalidRedirectUri(
                f"redirect URI '{uri}' uses http on a non-loopback host; use https "
                "(RFC 9700 §2.6; http is allowed only for localhost/127.0.0.1/[::1])"
            )
    elif application_type == "web":
        raise InvalidRedirectUri(
            f"redirect URI '{uri}' uses the scheme '{scheme}'; web clients must use https "
            "(register application_type=native for private-use URI schemes)"
        )
    elif "." not in scheme:
        raise InvalidRedirectUri(
            f"redirect URI '{uri}': private-use schemes must be reverse domain names such as "
            "com.example.app (RFC 8252 §7.1)"
        )
    if not any(fnmatch.fnmatchcase(uri, pattern) for pattern in whitelist):
        raise InvalidRedirectUri(f"redirect URI '{uri}' is not allowed by clientWhiteList")
    if any(fnmatch.fnmatchcase(uri, pattern) for pattern in blacklist):
        raise InvalidRedirectUri(f"redirect URI '{uri}' is refused by clientBlackList")


def redirect_host(uri: str) -> str:
    """The host of a redirect URI (sector identifier for pairwise subjects), or the scheme."""
    parts = urlsplit(uri)
    return (parts.hostname or parts.scheme).lower()


def matches(requested: str, registered: Sequence[str], application_type: ApplicationType) -> bool:
    """True if ``requested`` equals a registered redirect URI (RFC 9700 §4.1.3).

    For native clients, a registered ``http`` loopback IP redirect matches the same URI with
    any port (RFC 8252 §7.3). Nothing else is normalised: case, trailing slashes, extra
    path, query or fragment all make a different URI.
    """
    if requested in registered:
        return True
    if application_type != "native" or not requested.startswith("http://"):
        return False
    try:
        req = urlsplit(requested)
        req_port = req.port
    except ValueError:
        return False
    if not _is_loopback_ip(req.hostname) or (req_port is None and ":" in (req.netloc or "")):
        return False
    for candidate in registered:
        reg = urlsplit(candidate)
        if (
            reg.scheme == "http"
            and _is_loopback_ip(reg.hostname)
            and reg.hostname == req.hostname
            and reg.path == req.path
            and reg.query == req.query
            and reg.username is None
            and req.username is None
            and not req.fragment
        ):
            return True
    return False
