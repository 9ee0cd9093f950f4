"""HTTP requests the server makes on its own: sector identifier documents (OIDC Registration
§5). Implements :class:`authgate.core.ports.SectorIdentifierFetcher` with httpx.

Registration is open to anyone, so the fetch is an SSRF surface; it is kept narrow: https
only, no redirects followed, no proxy or ``.netrc`` from the environment, a short timeout, a
size cap, and hosts whose addresses are not public (loopback, private, link-local, ...)
refused before connecting. The address check resolves the name once and httpx resolves it
again, so a DNS answer that changes in between (rebinding) is not caught; deployments that
must exclude that put the server behind an egress proxy.

``allow_http_loopback`` is for tests only (``AUTHGATE_SECTOR_IDENTIFIER_ALLOW_HTTP_LOOPBACK``):
it also accepts ``http`` on loopback hosts, so a test can serve the document from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from urllib.parse import urlsplit

import httpx

from authgate.core.authorize.redirect_uris import LOOPBACK_HOSTS
from authgate.errors import InvalidClientMetadata

MEMBER = "sector_identifier_uri"


def _refuse(why: str) -> InvalidClientMetadata:
    return InvalidClientMetadata(f"Parameter {MEMBER} is not valid: {why}")


class HttpSectorIdentifierFetcher:
    """Fetches a sector identifier document: a JSON array of redirect URI strings.

    Args:
        allow_http_loopback: Test-only: accept ``http`` and loopback addresses.
        timeout: Seconds for the whole exchange (connect, TLS, headers, body).
        max_bytes: Largest document accepted.
    """

    def __init__(
        self, *, allow_http_loopback: bool = False, timeout: float = 5.0, max_bytes: int = 65536
    ) -> None:
        self.allow_http_loopback = allow_http_loopback
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def _check_addresses(self, host: str, port: int) -> None:
        try:
            literal = ipaddress.ip_address(host)
            addresses = [literal]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except OSError:
                raise _refuse(f"the host {host} cannot be resolved") from None
            addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        for address in addresses:
            if address.is_global:
                continue
            if self.allow_http_loopback and address.is_loopback:
                continue
            raise _refuse(f"the host {host} does not resolve to a public address")

    async def fetch(self, uri: str) -> list[str]:
        """The redirect URIs listed at ``uri``.

        Raises:
            InvalidClientMetadata: refused URI or address, network error, non-200 status,
                oversized or non-JSON body, or JSON that is not an array of strings.
        """
        parts = urlsplit(uri)
        host = (parts.hostname or "").lower()
        loopback_http = (
            self.allow_http_loopback and parts.scheme == "http" and host in LOOPBACK_HOSTS
        )
        if parts.scheme != "https" and not loopback_http:
            raise _refuse("it must use the https scheme")
        await self._check_addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
        try:
            body = await asyncio.wait_for(self._get(uri), timeout=self.timeout)
        except TimeoutError:
            raise _refuse(f"fetching {uri} timed out") from None
        except httpx.HTTPError as exc:
            raise _refuse(f"fetching {uri} failed ({type(exc).__name__})") from None
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise _refuse(f"the document at {uri} is not JSON") from None
        if not isinstance(document, list) or not all(isinstance(u, str) for u in document):
            raise _refuse(f"the document at {uri} is not a JSON array of redirect URIs")
        return document

    async def _get(self, uri: str) -> bytes:
        async with (
            httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, trust_env=False
            ) as client,
            client.stream("GET", uri, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise _refuse(f"fetching {uri} answered HTTP {response.status_code}")
            received = bytearray()
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) > self.max_bytes:
                    raise _refuse(f"the document at {uri} is larger than {self.max_bytes} bytes")
            return bytes(received)
