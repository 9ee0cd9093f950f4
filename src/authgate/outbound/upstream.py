"""HTTP with upstream identity providers (implements ``core.ports.UpstreamHttp``;
docs/federation.md): discovery documents, JWK Sets, token requests and user APIs, all through
the :class:`~authgate.outbound.client.OutboundClient` under the outbound-request policy (an
upstream on a private or loopback address must be listed in ``outbound_allow``).

Successful ``GET`` answers asked for with ``cache=True`` (discovery, JWK Sets) are kept for
``ttl`` seconds. Bodies that are not JSON come back as ``None``; nothing of a body is logged.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson

from authgate.outbound.client import OutboundClient


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


class HttpUpstream:
    def __init__(self, client: OutboundClient, *, ttl: float = 300.0) -> None:
        self._client = client
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Any]] = {}

    async def get_json(
        self, url: str, *, bearer: str | None = None, cache: bool = False
    ) -> tuple[int, Any]:
        now = time.monotonic()
        held = self._cache.get(url) if cache and bearer is None else None
        if held is not None and held[0] > now:
            return 200, held[1]
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else None
        response = await self._client.get(url, headers=headers)
        body = _json(response.body)
        if bearer is None and response.status == 200 and body is not None:
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[url] = (now + self._ttl, body)
        return response.status, body

    async def post_form(
        self, url: str, form: Mapping[str, str], *, basic: tuple[str, str] | None = None
    ) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}  # GitHub answers form-encoded otherwise
        if basic is not None:
            # RFC 6749 §2.3.1: each part form-encoded before the Basic encoding
            pair = f"{quote(basic[0], safe='')}:{quote(basic[1], safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        response = await self._client.post_form(url, form, headers=headers)
        return response.status, _json(response.body)
