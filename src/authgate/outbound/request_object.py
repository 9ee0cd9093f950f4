"""Fetching request objects from clients' ``request_uri`` (RFC 9101 §5.2; implements
:class:`authgate.core.ports.RequestObjectFetcher`).

Whoever sends an authorization request chooses the URL, so the fetch is a server-side
request forgery surface like every outbound request: it goes through the
:class:`~authgate.outbound.client.OutboundClient` (public addresses only unless allowed by
``outbound_allow``, no redirects, bounded time and size). Nothing is cached: a request object
is meant for one request, and its ``jti`` is single use. The core checks the URL's scheme
before asking (:mod:`authgate.core.authorize.request_object`).
"""

from __future__ import annotations

from authgate.errors import OutboundError
from authgate.outbound.client import OutboundClient, OutboundTooLarge

#: The media type of request objects (RFC 9101 §10.2).
ACCEPT = "application/oauth-authz-req+jwt, application/jwt"


class HttpRequestObjectFetcher:
    def __init__(self, client: OutboundClient, *, timeout: float = 5.0) -> None:
        self._client = client
        self.timeout = timeout

    async def fetch(self, uri: str, *, max_bytes: int) -> str:
        try:
            response = await self._client.get(
                uri, accept=ACCEPT, timeout=self.timeout, max_bytes=max_bytes
            )
        except OutboundTooLarge:
            raise OutboundError(f"the request object is larger than {max_bytes} bytes") from None
        if response.status != 200:
            raise OutboundError(f"HTTP {response.status}")
        try:
            text = response.body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise OutboundError("the response is not a compact JWT") from None
        if not text:
            raise OutboundError("the response is empty")
        return text
