"""Front-channel logout (OpenID Connect Front-Channel Logout 1.0).

When a login session ends at the end_session endpoint, every live client that was issued a
code or token in it and registered a ``frontchannel_logout_uri`` has that URI loaded by the
user's browser in a hidden iframe of the logged-out page (§2, §4). A client that registered
``frontchannel_logout_session_required: true`` gets the ``iss`` and ``sid`` query parameters
(both, never one: §2), added to any query the URI already has. The page's Content Security
Policy allows exactly these frame sources (:func:`frame_sources`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit, urlunsplit

from authgate.core.ports import Services
from authgate.core.types import LoginSession

#: Characters that cannot appear in a CSP source expression's path as written.
_CSP_UNSAFE = frozenset(" \t\r\n;,'\"")


def with_session(uri: str, issuer: str, sid: str) -> str:
    """``uri`` with ``iss`` and ``sid`` appended to its query (§2)."""
    parts = urlsplit(uri)
    added = urlencode({"iss": issuer, "sid": sid})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


async def frontchannel_uris(session: LoginSession, svc: Services) -> list[str]:
    """The URIs to load for ``session``'s live participating clients, by client id."""
    now = svc.clock.now()
    out: list[str] = []
    for client_id in sorted(await svc.grants.session_clients(session.sid)):
        client = await svc.clients.get(client_id)
        if client is None or client.disabled or client.expired(now):
            continue
        uri = client.metadata.frontchannel_logout_uri
        if not uri:
            continue
        if client.metadata.frontchannel_logout_session_required:
            uri = with_session(uri, svc.issuer, session.sid)
        out.append(uri)
    return out


def frame_sources(uris: Iterable[str]) -> list[str]:
    """CSP ``frame-src`` source expressions admitting exactly ``uris`` (CSP3 §6.7.2.12).

    Each is the URI without its query, which CSP matching ignores; a path CSP cannot carry
    as written falls back to the URI's origin.
    """
    sources: dict[str, None] = {}
    for uri in uris:
        parts = urlsplit(uri)
        base = f"{parts.scheme}://{parts.netloc}"
        path = parts.path
        sources[base + path if path and not _CSP_UNSAFE & set(path) else base] = None
    return list(sources)
