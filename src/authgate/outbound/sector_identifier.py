"""Fetching sector identifier documents (OIDC Registration §5). Implements
:class:`authgate.core.ports.SectorIdentifierFetcher` over the
:class:`~authgate.outbound.client.OutboundClient`.

Registration is open to anyone, so the fetch is an SSRF surface; the outbound policy keeps
it to public addresses (checked after resolution, and the connection goes to the checked
address), follows no redirect and bounds time and size. The document must come over https
(OIDC Registration §2).

``allow_http_loopback`` is for tests only (``AUTHGATE_SECTOR_IDENTIFIER_ALLOW_HTTP_LOOPBACK``):
it also accepts ``http`` on loopback hosts, so a test can serve the document from
127.0.0.1 (the setting also allows the loopback networks in the outbound policy).
"""

from __future__ import annotations

import json

from authgate.errors import InvalidClientMetadata, OutboundError
from authgate.outbound.client import OutboundClient, OutboundTimeout, OutboundTooLarge
from authgate.outbound.policy import OutboundRefused

MEMBER = "sector_identifier_uri"


def _refuse(why: str) -> InvalidClientMetadata:
    return InvalidClientMetadata(f"Parameter {MEMBER} is not valid: {why}")


class HttpSectorIdentifierFetcher:
    """Fetches a sector identifier document: a JSON array of redirect URI strings.

    Args:
        client: The outbound client (its policy decides which hosts may be reached).
        allow_http_loopback: Test-only: accept ``http`` URIs on loopback hosts.
        timeout: Seconds for the whole exchange (resolution, connect, TLS, headers, body).
        max_bytes: Largest document accepted.
    """

    def __init__(
        self,
        client: OutboundClient,
        *,
        allow_http_loopback: bool = False,
        timeout: float = 5.0,
        max_bytes: int = 65536,
    ) -> None:
        self._client = client
        self.allow_http_loopback = allow_http_loopback
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def fetch(self, uri: str) -> list[str]:
        """The redirect URIs listed at ``uri``.

        Raises:
            InvalidClientMetadata: refused host or address, network error, non-200 status,
                oversized or non-JSON body, or JSON that is not an array of strings.
        """
        try:
            response = await self._client.get(uri, timeout=self.timeout, max_bytes=self.max_bytes)
        except OutboundRefused as exc:
            raise _refuse(str(exc)) from None
        except OutboundTimeout:
            raise _refuse(f"fetching {uri} timed out") from None
        except OutboundTooLarge:
            raise _refuse(f"the document at {uri} is larger than {self.max_bytes} bytes") from None
        except OutboundError as exc:
            raise _refuse(f"fetching {uri} failed ({exc})") from None
        if response.status != 200:
            raise _refuse(f"fetching {uri} answered HTTP {response.status}")
        try:
            document = json.loads(response.body)
        except (UnicodeDecodeError, ValueError):
            raise _refuse(f"the document at {uri} is not JSON") from None
        if not isinstance(document, list) or not all(isinstance(u, str) for u in document):
            raise _refuse(f"the document at {uri} is not a JSON array of redirect URIs")
        return document
