"""Sector identifiers for pairwise subjects (OIDC Core §8.1, OIDC Registration §2, §5).

A client registers ``sector_identifier_uri`` when its redirect URIs span several hosts but
its users should see one pairwise ``sub``. The URI must use https; the JSON array published
there must list every redirect URI of the client; its host then becomes the sector that
:mod:`authgate.core.tokens.subject` hashes into ``sub``. Fetching goes through the
:class:`~authgate.core.ports.SectorIdentifierFetcher` port, so this module does no I/O.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authgate.core.authorize.redirect_uris import LOOPBACK_HOSTS
from authgate.core.ports import Services
from authgate.core.types import ClientMetadata
from authgate.errors import InvalidClientMetadata

MEMBER = "sector_identifier_uri"


def check_uri(uri: str, *, allow_http_loopback: bool = False) -> None:
    """Syntax rules for a sector identifier URI (OIDC Registration §2: https).

    Args:
        uri: The registered value.
        allow_http_loopback: Test-only: also accept ``http`` on a loopback host.

    Raises:
        InvalidClientMetadata: naming the rule that failed.
    """
    try:
        parts = urlsplit(uri)
        _ = parts.port
    except ValueError:
        raise InvalidClientMetadata(f"Parameter {MEMBER} is not a valid URI") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.fragment or "#" in uri:
        raise InvalidClientMetadata(
            f"Parameter {MEMBER} must be an absolute https URI with a host, no user "
            "information and no fragment"
        )
    insecure_ok = allow_http_loopback and parts.scheme == "http" and host in LOOPBACK_HOSTS
    if parts.scheme != "https" and not insecure_ok:
        raise InvalidClientMetadata(
            f"Parameter {MEMBER} must use the https scheme (OIDC Registration §2)"
        )


async def verify(metadata: ClientMetadata, svc: Services) -> None:
    """Check a client's ``sector_identifier_uri``, if it has one, by fetching it.

    Called at registration (and on RFC 7592 updates) after :func:`build_metadata`; nothing
    is stored when it fails.

    Raises:
        InvalidClientMetadata: a bad URI, a failed fetch, or a document that does not list
            every one of the client's redirect URIs (OIDC Registration §5).
    """
    uri = metadata.sector_identifier_uri
    if not uri:
        return
    fetcher = svc.sector_identifiers
    check_uri(uri, allow_http_loopback=fetcher.allow_http_loopback)
    listed = set(await fetcher.fetch(uri))
    missing = [u for u in metadata.redirect_uris if u not in listed]
    if missing:
        raise InvalidClientMetadata(
            f"Parameter {MEMBER} is not valid: the document at {uri} does not list the "
            f"redirect URI(s) {', '.join(missing)} (OIDC Registration §5)"
        )
