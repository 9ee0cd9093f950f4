"""Hosts a dynamically registered client's URIs may point to: ``dynamicRegistrationTrustedHosts``.

With the list empty (the default) any host is accepted. Otherwise every URI the server sends
users to or calls must be on a listed host, at registration and on RFC 7592 updates:
``redirect_uris`` (refused with ``invalid_redirect_uri``), and ``post_logout_redirect_uris``,
``frontchannel_logout_uri``, ``backchannel_logout_uri``, ``jwks_uri`` and
``sector_identifier_uri`` (``invalid_client_metadata`` naming the member). A URI without a host
(a native app's private-use scheme, RFC 8252 §7.1) is on no host, so it is refused too. The
informational URIs (``client_uri``, ``logo_uri``, ``policy_uri``, ``tos_uri``) are not checked:
authgate neither fetches them nor sends anyone to them. The check runs before the sector
identifier document is fetched, so an untrusted ``sector_identifier_uri`` is never requested.

An entry is a host name or IP address, matched exactly (case-insensitively), or ``*.`` and a
domain, matching its subdomains at any depth but not the domain itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from authgate.appconfig import AppConfiguration
from authgate.core.types import ClientMetadata
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri

_WHY = "is not on a host trusted for dynamic registration (dynamicRegistrationTrustedHosts)"


def _host(uri: str) -> str | None:
    try:
        return urlsplit(uri).hostname
    except ValueError:
        return None


def host_trusted(host: str | None, patterns: Sequence[str]) -> bool:
    """Whether ``host`` (lower-case, as :func:`urllib.parse.urlsplit` gives it) matches one
    of ``patterns`` (as the configuration normalised them)."""
    if not host:
        return False
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def _others(metadata: ClientMetadata) -> Iterable[tuple[str, str]]:
    for uri in metadata.post_logout_redirect_uris:
        yield "post_logout_redirect_uris", uri
    if metadata.frontchannel_logout_uri:
        yield "frontchannel_logout_uri", metadata.frontchannel_logout_uri
    for uri in metadata.backchannel_logout_uri:
        yield "backchannel_logout_uri", uri
    if metadata.jwks_uri:
        yield "jwks_uri", metadata.jwks_uri
    if metadata.sector_identifier_uri:
        yield "sector_identifier_uri", metadata.sector_identifier_uri


def check(metadata: ClientMetadata, config: AppConfiguration) -> None:
    """Refuse a client whose URIs leave the trusted hosts (nothing to do when none are set).

    Raises:
        InvalidRedirectUri: a redirect URI on another host.
        InvalidClientMetadata: another URI on another host, naming its member.
    """
    patterns = config.dynamicRegistrationTrustedHosts
    if not patterns:
        return
    for uri in metadata.redirect_uris:
        if not host_trusted(_host(uri), patterns):
            raise InvalidRedirectUri(f"redirect URI '{uri}' {_WHY}")
    for member, uri in _others(metadata):
        if not host_trusted(_host(uri), patterns):
            raise InvalidClientMetadata(f"Parameter {member} is not valid: '{uri}' {_WHY}")
